package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

// Names of search indexing.
const (
	IndexSearchWorkflowName = "IndexSearch"
	IndexSearchScheduleID   = "search-index"
	// IndexSearchSignal asks a running drain to look at the queue again before it finishes.
	IndexSearchSignal = "search-changes-queued"
	// indexSearchRounds is how many signalled rounds one run makes before continuing as new.
	indexSearchRounds = 100
)

// IndexSearchPushWorkflowID is the one index drain per task queue that workers start, or
// signal if it runs, as soon as changes are committed (worker.SearchPush).
func IndexSearchPushWorkflowID(taskQueue string) string { return "search-index-push-" + taskQueue }

// IndexSearchInput tunes a drain; zero values take the defaults.
type IndexSearchInput struct {
	BatchSize  int // changes per bulk request; default 500
	MaxBatches int // batches per round; default 100
}

// IndexSearchResult counts what a drain applied.
type IndexSearchResult struct {
	Changes, Products, Failed int
}

// IndexSearch applies queued search changes to the index in bulk until the queue is empty,
// pushed the way order notifications are: workers signal it the moment a change commits, and a
// one-minute Schedule runs it as the safety net. While the index is down its activity retries
// with backoff and the changes wait in Postgres; nothing is lost and nothing needs rebuilding
// when it is back.
func IndexSearch(ctx workflow.Context, in IndexSearchInput) (IndexSearchResult, error) {
	if in.BatchSize <= 0 {
		in.BatchSize = 500
	}
	if in.MaxBatches <= 0 {
		in.MaxBatches = 100
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: 30 * time.Second, MaximumAttempts: 10},
	})
	var a *activities.Search
	var res IndexSearchResult
	queued := workflow.GetSignalChannel(ctx, IndexSearchSignal)
	for round := 1; ; round++ {
		for range in.MaxBatches {
			var b activities.ApplySearchChangesResult
			if err := workflow.ExecuteActivity(ctx, a.ApplySearchChanges, activities.ApplySearchChangesInput{Limit: in.BatchSize}).Get(ctx, &b); err != nil {
				return res, err
			}
			res.Changes += b.Changes
			res.Products += b.Products
			res.Failed += b.Failed
			// The round ends when the queue is empty, or when a batch applied nothing (the index
			// refused every document; they stay queued for the next run).
			if !b.More || (b.Failed > 0 && b.Failed == b.Products) {
				break
			}
		}
		again := false
		for queued.ReceiveAsync(nil) {
			again = true
		}
		if !again {
			return res, nil
		}
		if round == indexSearchRounds {
			return res, workflow.NewContinueAsNewError(ctx, IndexSearchWorkflowName, in)
		}
	}
}

// Names of the other search jobs.
const (
	ReindexSearchWorkflowName      = "ReindexSearch"
	RefreshSearchStatsWorkflowName = "RefreshSearchStats"
	RefreshSearchStatsScheduleID   = "search-stats"
)

// ReindexSearchWorkflowID is the one reindex of a deployment (its task queue): a second
// request while one runs joins it.
func ReindexSearchWorkflowID(taskQueue string) string { return "search-reindex-" + taskQueue }

// RefreshSearchStatsInput configures the hourly refresh of the sort fields.
type RefreshSearchStatsInput struct {
	// Window is the trailing sales window best-selling sorts by (SHOPFLOW_TOPSELLERS_WINDOW).
	Window time.Duration
	// KeepApplied is how long applied changes stay for a reindex to replay; default 24h.
	KeepApplied time.Duration
}

// RefreshSearchStatsResult is what the refresh did.
type RefreshSearchStatsResult struct {
	Changed, Deleted int64
}

// RefreshSearchStats sets every product's units sold over the window ending at the scheduled
// hour (queueing index changes for those that moved) and refreshes the typo vocabulary.
func RefreshSearchStats(ctx workflow.Context, in RefreshSearchStatsInput) (RefreshSearchStatsResult, error) {
	if in.Window <= 0 {
		in.Window = DefaultTopSellersWindow
	}
	if in.KeepApplied <= 0 {
		in.KeepApplied = 24 * time.Hour
	}
	end := periodEnd(ctx, TopSellersInput{}).UTC().Truncate(time.Hour)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumAttempts: 5},
	})
	var a *activities.Search
	var r activities.RefreshSearchStatsResult
	err := workflow.ExecuteActivity(ctx, a.RefreshSearchStats,
		activities.RefreshSearchStatsInput{From: end.Add(-in.Window), To: end, KeepApplied: in.KeepApplied}).Get(ctx, &r)
	return RefreshSearchStatsResult{Changed: r.Changed, Deleted: r.Deleted}, err
}
