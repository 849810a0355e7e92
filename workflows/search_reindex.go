package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

// ReindexSearchInput tunes a reindex; zero values take the defaults.
type ReindexSearchInput struct {
	ChunkSize int // documents per bulk request; default 1000
}

// ReindexSearchResult says what the reindex built.
type ReindexSearchResult struct {
	Index    string
	Loaded   int64
	Replayed int64
	Indexed  int64
	Previous []string
}

// reindexCountChecks is how often the new index's count is compared with the catalog before
// the reindex gives up; each check first replays what changed since the last.
const reindexCountChecks = 3

// ReindexSearch builds a new physical index without downtime: it creates the index with the
// current mapping, loads every product in chunks (heartbeating progress, resuming after a
// crash), replays the changes queued meanwhile, checks the count against the catalog, swaps
// the live alias atomically, replays once more into the alias for what changed around the
// swap, and drops the old index. Searches keep reading the old index until the swap, and the
// change drain keeps it fresh. If anything fails before the swap, the new index is dropped and
// the old one stays live.
func ReindexSearch(ctx workflow.Context, in ReindexSearchInput) (ReindexSearchResult, error) {
	if in.ChunkSize <= 0 {
		in.ChunkSize = 1000
	}
	var a *activities.Search
	var res ReindexSearchResult
	short := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 5},
	})
	var begin activities.BeginReindexResult
	if err := workflow.ExecuteActivity(short, a.BeginReindex, activities.BeginReindexInput{}).Get(ctx, &begin); err != nil {
		return res, err
	}
	res.Index = begin.Index
	if err := buildIndex(ctx, in, begin, &res); err != nil {
		// Dropped on a disconnected context, so even a cancelled reindex leaves no half index.
		dctx, _ := workflow.NewDisconnectedContext(short)
		_ = workflow.ExecuteActivity(dctx, a.DropIndexes, activities.DropIndexesInput{Indexes: []string{begin.Index}}).Get(dctx, nil)
		return res, err
	}
	var swap activities.SwapIndexResult
	if err := workflow.ExecuteActivity(short, a.SwapIndex, activities.SwapIndexInput{Index: begin.Index}).Get(ctx, &swap); err != nil {
		return res, err
	}
	res.Previous = swap.Previous
	// Changes applied to the old index between the last replay and the swap go to the live
	// alias (now the new index) too. The old index is dropped even if that replay fails: the
	// alias has left it, and nothing would name it again.
	long := workflow.WithActivityOptions(ctx, loadOptions())
	var replay activities.ReplayChangesResult
	replayErr := workflow.ExecuteActivity(long, a.ReplayChanges, activities.ReplayChangesInput{Horizon: begin.Horizon, Limit: in.ChunkSize}).Get(ctx, &replay)
	res.Replayed += replay.Products
	if len(swap.Previous) > 0 {
		dctx, _ := workflow.NewDisconnectedContext(short)
		if err := workflow.ExecuteActivity(dctx, a.DropIndexes, activities.DropIndexesInput{Indexes: swap.Previous}).Get(dctx, nil); err != nil && replayErr == nil {
			return res, err
		}
	}
	return res, replayErr
}

// loadOptions allow a bulk load of millions of documents, detecting a dead worker by its
// missing heartbeats rather than by the load's length.
func loadOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: 12 * time.Hour,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumAttempts: 10},
	}
}

// buildIndex loads, replays and checks the new index.
func buildIndex(ctx workflow.Context, in ReindexSearchInput, begin activities.BeginReindexResult, res *ReindexSearchResult) error {
	var a *activities.Search
	long := workflow.WithActivityOptions(ctx, loadOptions())
	var load activities.LoadIndexResult
	if err := workflow.ExecuteActivity(long, a.LoadIndex, activities.LoadIndexInput{Index: begin.Index, ChunkSize: in.ChunkSize}).Get(ctx, &load); err != nil {
		return err
	}
	res.Loaded = load.Loaded
	short := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 5},
	})
	var after int64
	for range reindexCountChecks {
		var replay activities.ReplayChangesResult
		if err := workflow.ExecuteActivity(long, a.ReplayChanges,
			activities.ReplayChangesInput{Index: begin.Index, Horizon: begin.Horizon, AfterID: after, Limit: in.ChunkSize}).Get(ctx, &replay); err != nil {
			return err
		}
		after = replay.LastID
		res.Replayed += replay.Products
		var count activities.CountIndexResult
		if err := workflow.ExecuteActivity(short, a.CountIndex, activities.CountIndexInput{Index: begin.Index}).Get(ctx, &count); err != nil {
			return err
		}
		res.Indexed = count.Indexed
		// Products are never deleted, so an index holding as many documents as the catalog
		// holds them all. Products created since the replay make the catalog larger: replay again.
		if count.Indexed >= count.Catalog {
			return nil
		}
	}
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("new index %s holds %d documents, fewer than the catalog's products; the old index stays live", begin.Index, res.Indexed),
		"ReindexIncomplete", nil)
}
