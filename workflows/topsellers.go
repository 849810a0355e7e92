package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/ranking"
)

// Names of the top-sellers job.
const (
	TopSellersWorkflowName = "TopSellers"
	TopSellersScheduleID   = "topsellers"
)

// DefaultTopSellersWindow is the window ranked when the input names none.
const DefaultTopSellersWindow = 24 * time.Hour

// searchScheduledStartTime is the search attribute a Temporal Schedule sets on every run it
// starts: the time the run was due, whenever it actually started.
var searchScheduledStartTime = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")

// TopSellersInput configures a run; the period comes from the scheduled time, not from here.
type TopSellersInput struct {
	// Window is how many hours the ranking covers, ending at the period's hour.
	Window time.Duration
	// N is how many products each category keeps; zero means the worker's configured number.
	N int
	// At, for runs not started by the Schedule, is the time whose hour ends the period; zero
	// means the run's start.
	At time.Time
}

// TopSellersResult says which period was ranked and what was published.
type TopSellersResult struct {
	Window     ranking.Window
	Generation string
	Current    bool
	Categories int
	Sellers    int
}

// TopSellers ranks the trailing window that ends at the start of the scheduled hour and
// publishes it. The period comes from the Schedule's TemporalScheduledStartTime, never from the
// clock, so a run that starts late, or is run again, ranks the same hours and publishes the
// same answer. Runs started by hand use In.At, or their own start, truncated to the hour.
func TopSellers(ctx workflow.Context, in TopSellersInput) (TopSellersResult, error) {
	if in.Window <= 0 {
		in.Window = DefaultTopSellersWindow
	}
	w := ranking.WindowEnding(periodEnd(ctx, in), in.Window)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumAttempts: 5},
	})
	var a *activities.TopSellers
	var pub activities.PublishResult
	if err := workflow.ExecuteActivity(ctx, a.PublishTopSellers, activities.PublishInput{Window: w, N: in.N}).Get(ctx, &pub); err != nil {
		return TopSellersResult{Window: w}, err
	}
	return TopSellersResult{Window: w, Generation: pub.Generation, Current: pub.Current, Categories: pub.Categories, Sellers: pub.Sellers}, nil
}

// periodEnd is the time whose hour ends the period: when the Schedule meant the run to start,
// else In.At, else the run's start. Search attributes set at start are in the history, so
// reading them is deterministic.
func periodEnd(ctx workflow.Context, in TopSellersInput) time.Time {
	if at, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(searchScheduledStartTime); ok && !at.IsZero() {
		return at
	}
	if !in.At.IsZero() {
		return in.At
	}
	return workflow.Now(ctx)
}
