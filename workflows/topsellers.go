package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
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
	// RankChangeThreshold, when positive, sends a rank-change digest to every seller whose
	// overall rank moved by that many places since the rank it last heard of
	// (SHOPFLOW_DIGEST_RANK_CHANGE). It travels in the input so a config change never changes
	// a running workflow's decisions.
	RankChangeThreshold int
}

// TopSellersResult says which period was ranked and what was published.
type TopSellersResult struct {
	Window     ranking.Window
	Generation string
	Current    bool
	Categories int
	Sellers    int
	// RankChanges is how many sellers are told of a rank change (by the child digest).
	RankChanges int
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
	if err := workflow.ExecuteActivity(ctx, a.PublishTopSellers,
		activities.PublishInput{Window: activities.RankWindow{From: w.From, To: w.To}, N: in.N, RankChangeThreshold: in.RankChangeThreshold}).Get(ctx, &pub); err != nil {
		return TopSellersResult{Window: w}, err
	}
	res := TopSellersResult{Window: w, Generation: pub.Generation, Current: pub.Current, Categories: pub.Categories,
		Sellers: pub.Sellers, RankChanges: pub.RankChanges}
	if pub.RankChanges == 0 {
		return res, nil
	}
	// The alerted sellers are told by a digest of their own (abandoned child, like the daily
	// report's): the ranking is done, and telling 10,000 sellers may take a while.
	period := FormatRankPeriod(w.To)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            RankChangeDigestWorkflowID(period),
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
	})
	child := workflow.ExecuteChildWorkflow(cctx, SellerDigestWorkflowName, SellerDigestInput{Kind: activities.DigestRankChange, Period: period})
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return res, fmt.Errorf("start rank-change digest for %s: %w", period, err)
	}
	return res, nil
}

// FormatRankPeriod names an hourly ranking's period by the end of its window, e.g.
// 2026-11-21T10:00:00Z: the period of rank-change digests and their idempotency keys.
func FormatRankPeriod(end time.Time) string { return end.UTC().Format(time.RFC3339) }

// RankChangeDigestWorkflowID is the workflow ID of the rank-change digest of a ranking period.
func RankChangeDigestWorkflowID(period string) string { return "rank-digest-" + period }

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
