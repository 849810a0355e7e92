package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

// Names of the "also bought" job.
const (
	RecommendationsWorkflowName = "Recommendations"
	RecommendationsScheduleID   = "recommendations"
)

// Defaults for a run whose input leaves a setting zero (those of config.RecommendConfig).
const (
	DefaultRecsWindowDays = 90
	DefaultRecsMinSupport = 3
	DefaultRecsN          = 20
)

// RecommendationsInput configures a run; the day the window ends on comes from the scheduled
// time. The settings travel in the input so a config change never changes a running workflow.
type RecommendationsInput struct {
	WindowDays int
	MinSupport int
	N          int
	// Interval is the Schedule's; the first run of each UTC day republishes every list.
	Interval time.Duration
	// All republishes every list, not only those whose counts changed.
	All bool
	// At, for runs not started by the Schedule, is the time the window ends at; zero means the
	// run's start.
	At time.Time
}

// RecommendationsResult says what the run counted and published.
type RecommendationsResult struct {
	AsOf        time.Time
	WindowStart time.Time
	All         bool
	Lines       int64
	Expired     int64
	Written     int
	Removed     int
	Products    int
}

// Recommendations brings the co-occurrence counts up to the scheduled time (new sales in,
// orders that left the window out), then republishes the lists of the products whose counts
// changed. Once a day (the first run of each UTC day, or when asked) it republishes every
// list, which also catches products archived or out of or back in stock since their list
// was written.
func Recommendations(ctx workflow.Context, in RecommendationsInput) (RecommendationsResult, error) {
	in.WindowDays = positiveOr(in.WindowDays, DefaultRecsWindowDays)
	in.MinSupport = positiveOr(in.MinSupport, DefaultRecsMinSupport)
	in.N = positiveOr(in.N, DefaultRecsN)
	asOf := periodEnd(ctx, TopSellersInput{At: in.At})
	all := in.All || firstRunOfDay(asOf, in.Interval)
	res := RecommendationsResult{AsOf: asOf, All: all}
	// Long first builds heartbeat every step; a worker that dies is noticed within a minute.
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumAttempts: 5},
	})
	var a *activities.Recommendations
	var counted activities.CountRecsResult
	if err := workflow.ExecuteActivity(ctx, a.CountRecommendationSales,
		activities.CountRecsInput{AsOf: asOf, WindowDays: in.WindowDays}).Get(ctx, &counted); err != nil {
		return res, err
	}
	res.WindowStart, res.Lines, res.Expired = counted.WindowStart, counted.Lines, counted.Expired
	var pub activities.PublishRecsResult
	if err := workflow.ExecuteActivity(ctx, a.PublishRecommendations, activities.PublishRecsInput{
		WindowDays: in.WindowDays, MinSupport: in.MinSupport, N: in.N, GeneratedAt: asOf, All: all,
	}).Get(ctx, &pub); err != nil {
		return res, err
	}
	res.Written, res.Removed, res.Products = pub.Written, pub.Removed, pub.Products
	return res, nil
}

// firstRunOfDay says whether asOf falls in the first interval of its UTC day.
func firstRunOfDay(asOf time.Time, interval time.Duration) bool {
	if interval <= 0 {
		return false
	}
	u := asOf.UTC()
	return u.Sub(u.Truncate(24*time.Hour)) < interval
}

func positiveOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
