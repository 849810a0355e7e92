package workflows

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

var searchActs *activities.Search

// newIndexSearchEnv is a test environment for one IndexSearch run whose batches are answered
// in turn by batch(n), n counting from 1; it returns a pointer to the number of batches run.
func newIndexSearchEnv(t *testing.T, batch func(env *testsuite.TestWorkflowEnvironment, n int, in activities.ApplySearchChangesInput) (activities.ApplySearchChangesResult, error)) (*testsuite.TestWorkflowEnvironment, *int) {
	t.Helper()
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(IndexSearch, workflow.RegisterOptions{Name: IndexSearchWorkflowName})
	batches := 0
	env.OnActivity(searchActs.ApplySearchChanges, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ApplySearchChangesInput) (activities.ApplySearchChangesResult, error) {
			batches++
			return batch(env, batches, in)
		})
	return env, &batches
}

// IndexSearch ends its round when a batch leaves the queue empty (More false), or when the
// index refused every document of a batch (they stay queued for the next run). Batches that
// leave changes behind, partly refused ones included, ask for another batch.
func TestIndexSearchBatchesUntilTheQueueIsDrained(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		batches []activities.ApplySearchChangesResult
		want    IndexSearchResult
	}{
		{"until the queue is empty", []activities.ApplySearchChangesResult{
			{Changes: 3, Products: 3, More: true}, {Changes: 3, Products: 2, More: true}, {Changes: 1, Products: 1},
		}, IndexSearchResult{Changes: 7, Products: 6}},
		{"an empty queue", []activities.ApplySearchChangesResult{
			{},
		}, IndexSearchResult{}},
		{"a short batch with more queued goes on", []activities.ApplySearchChangesResult{
			{Changes: 1, Products: 1, Expanded: 2, More: true}, {Changes: 0, Expanded: 1, More: true}, {Changes: 2, Products: 2},
		}, IndexSearchResult{Changes: 3, Products: 3}},
		{"a partly refused batch goes on", []activities.ApplySearchChangesResult{
			{Changes: 3, Products: 3, Failed: 1, More: true}, {Changes: 1, Products: 1, More: true}, {},
		}, IndexSearchResult{Changes: 4, Products: 4, Failed: 1}},
		{"a wholly refused batch ends the round", []activities.ApplySearchChangesResult{
			{Changes: 3, Products: 2, Failed: 2, More: true},
		}, IndexSearchResult{Changes: 3, Products: 2, Failed: 2}},
		{"a wholly refused batch ends the round even with expansions", []activities.ApplySearchChangesResult{
			{Changes: 1, Products: 1, Failed: 1, Expanded: 4, More: true},
		}, IndexSearchResult{Changes: 1, Products: 1, Failed: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, batches := newIndexSearchEnv(t, func(_ *testsuite.TestWorkflowEnvironment, n int, in activities.ApplySearchChangesInput) (activities.ApplySearchChangesResult, error) {
				if in.Limit != 3 {
					t.Errorf("batch %d of %d changes, want 3", n, in.Limit)
				}
				if n > len(tc.batches) {
					t.Errorf("batch %d asked for; the round should have ended after %d", n, len(tc.batches))
					return activities.ApplySearchChangesResult{}, nil
				}
				return tc.batches[n-1], nil
			})
			env.ExecuteWorkflow(IndexSearch, IndexSearchInput{BatchSize: 3})
			if r := completed[IndexSearchResult](t, env); r != tc.want {
				t.Errorf("result %+v, want %+v", r, tc.want)
			}
			if *batches != len(tc.batches) {
				t.Errorf("%d batches, want %d", *batches, len(tc.batches))
			}
		})
	}
}

// A round stops after MaxBatches full batches even though the queue may hold more; the
// Schedule or the next signal picks the rest up.
func TestIndexSearchStopsAfterMaxBatches(t *testing.T) {
	t.Parallel()
	env, batches := newIndexSearchEnv(t, func(_ *testsuite.TestWorkflowEnvironment, _ int, in activities.ApplySearchChangesInput) (activities.ApplySearchChangesResult, error) {
		return activities.ApplySearchChangesResult{Changes: in.Limit, Products: in.Limit, More: true}, nil
	})
	env.ExecuteWorkflow(IndexSearch, IndexSearchInput{BatchSize: 2, MaxBatches: 4})
	if r := completed[IndexSearchResult](t, env); r.Changes != 8 || *batches != 4 {
		t.Errorf("%d batches applying %d changes, want 4 batches of 2", *batches, r.Changes)
	}
}

// Zero input takes the defaults: batches of 500 changes, at most 100 batches a round.
func TestIndexSearchDefaults(t *testing.T) {
	t.Parallel()
	env := newTestEnv()
	env.OnActivity(searchActs.ApplySearchChanges, mock.Anything, activities.ApplySearchChangesInput{Limit: 500}).
		Return(activities.ApplySearchChangesResult{Changes: 500, Products: 400, More: true}, nil).Times(100)
	env.ExecuteWorkflow(IndexSearch, IndexSearchInput{})
	if r := completed[IndexSearchResult](t, env); r.Changes != 50000 || r.Products != 40000 {
		t.Errorf("result %+v, want 100 batches of 500 changes", r)
	}
	env.AssertExpectations(t)
}

// A signal that arrives while a round runs (a change committed after its batch query) makes
// one more round before the run finishes; signals received together need one round, not one
// each, and a round without a signal is the last.
func TestIndexSearchDrainsAgainWhenSignalledMeanwhile(t *testing.T) {
	t.Parallel()
	env, batches := newIndexSearchEnv(t, func(env *testsuite.TestWorkflowEnvironment, n int, _ activities.ApplySearchChangesInput) (activities.ApplySearchChangesResult, error) {
		switch n {
		case 1: // round 1, more queued: another batch follows
			return activities.ApplySearchChangesResult{Changes: 5, Products: 5, More: true}, nil
		case 2: // round 1, the queue empty, signalled three times meanwhile
			for range 3 {
				env.SignalWorkflow(IndexSearchSignal, nil)
			}
			return activities.ApplySearchChangesResult{Changes: 1, Products: 1}, nil
		default: // round 2
			return activities.ApplySearchChangesResult{Changes: 2, Products: 2}, nil
		}
	})
	env.ExecuteWorkflow(IndexSearch, IndexSearchInput{BatchSize: 5})
	r := completed[IndexSearchResult](t, env)
	if *batches != 3 || r.Changes != 8 {
		t.Fatalf("%d batches, result %+v; want 3 batches over 2 rounds applying 8 changes", *batches, r)
	}
}

// A drain kept busy by signals continues as new after indexSearchRounds rounds, with the same
// input, rather than growing its history without end.
func TestIndexSearchContinuesAsNewWhenAlwaysSignalled(t *testing.T) {
	t.Parallel()
	env, batches := newIndexSearchEnv(t, func(env *testsuite.TestWorkflowEnvironment, _ int, _ activities.ApplySearchChangesInput) (activities.ApplySearchChangesResult, error) {
		env.SignalWorkflow(IndexSearchSignal, nil)
		return activities.ApplySearchChangesResult{Changes: 1, Products: 1}, nil
	})
	env.ExecuteWorkflow(IndexSearch, IndexSearchInput{BatchSize: 7})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow ended with %v, want continue-as-new", err)
	}
	if *batches != indexSearchRounds {
		t.Errorf("%d batches before continuing as new, want one per round, %d", *batches, indexSearchRounds)
	}
	if can.WorkflowType.Name != IndexSearchWorkflowName {
		t.Errorf("continues as %q, want %q", can.WorkflowType.Name, IndexSearchWorkflowName)
	}
	var next IndexSearchInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next != (IndexSearchInput{BatchSize: 7, MaxBatches: 100}) {
		t.Errorf("continues with %+v, want the run's input", next)
	}
}

// A batch that fails for good fails the run, keeping what the earlier batches counted.
func TestIndexSearchFailsWhenABatchFails(t *testing.T) {
	t.Parallel()
	env, batches := newIndexSearchEnv(t, func(_ *testsuite.TestWorkflowEnvironment, n int, _ activities.ApplySearchChangesInput) (activities.ApplySearchChangesResult, error) {
		if n == 1 {
			return activities.ApplySearchChangesResult{Changes: 2, Products: 2, More: true}, nil
		}
		return activities.ApplySearchChangesResult{}, temporal.NewNonRetryableApplicationError("index down", "Test", nil)
	})
	env.ExecuteWorkflow(IndexSearch, IndexSearchInput{BatchSize: 2})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != "Test" {
		t.Fatalf("workflow ended with %v, want the batch's error", err)
	}
	if *batches != 2 {
		t.Errorf("%d batches, want 2", *batches)
	}
}

// reindex answers ReindexSearch's activities and records every call's input, in order.
type reindex struct {
	calls []any

	begin   func() (activities.BeginReindexResult, error)
	load    func(activities.LoadIndexInput) (activities.LoadIndexResult, error)
	replay  func(activities.ReplayChangesInput) (activities.ReplayChangesResult, error)
	count   func(activities.CountIndexInput) (activities.CountIndexResult, error)
	swap    func(activities.SwapIndexInput) (activities.SwapIndexResult, error)
	dropErr error
}

// newReindexEnv is a test environment for one ReindexSearch run answered by r; r's answers
// default to a reindex of "products_v2" (horizon 42) that replaces "products_v1".
func newReindexEnv(t *testing.T, r *reindex) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	if r.begin == nil {
		r.begin = func() (activities.BeginReindexResult, error) {
			return activities.BeginReindexResult{Index: "products_v2", Horizon: 42, Expected: 10}, nil
		}
	}
	if r.load == nil {
		r.load = func(activities.LoadIndexInput) (activities.LoadIndexResult, error) {
			return activities.LoadIndexResult{Loaded: 10, LastID: 10}, nil
		}
	}
	if r.replay == nil {
		r.replay = func(in activities.ReplayChangesInput) (activities.ReplayChangesResult, error) {
			return activities.ReplayChangesResult{LastID: in.AfterID + 100, Products: 2}, nil
		}
	}
	if r.count == nil {
		r.count = func(activities.CountIndexInput) (activities.CountIndexResult, error) {
			return activities.CountIndexResult{Indexed: 12, Catalog: 12}, nil
		}
	}
	if r.swap == nil {
		r.swap = func(activities.SwapIndexInput) (activities.SwapIndexResult, error) {
			return activities.SwapIndexResult{Previous: []string{"products_v1"}}, nil
		}
	}
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(ReindexSearch, workflow.RegisterOptions{Name: ReindexSearchWorkflowName})
	env.OnActivity(searchActs.BeginReindex, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.BeginReindexInput) (activities.BeginReindexResult, error) {
			r.calls = append(r.calls, in)
			return r.begin()
		})
	env.OnActivity(searchActs.LoadIndex, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.LoadIndexInput) (activities.LoadIndexResult, error) {
			r.calls = append(r.calls, in)
			return r.load(in)
		})
	env.OnActivity(searchActs.ReplayChanges, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ReplayChangesInput) (activities.ReplayChangesResult, error) {
			r.calls = append(r.calls, in)
			return r.replay(in)
		})
	env.OnActivity(searchActs.CountIndex, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CountIndexInput) (activities.CountIndexResult, error) {
			r.calls = append(r.calls, in)
			return r.count(in)
		})
	env.OnActivity(searchActs.SwapIndex, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SwapIndexInput) (activities.SwapIndexResult, error) {
			r.calls = append(r.calls, in)
			return r.swap(in)
		})
	env.OnActivity(searchActs.DropIndexes, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DropIndexesInput) (activities.DropIndexesResult, error) {
			r.calls = append(r.calls, in)
			return activities.DropIndexesResult{}, r.dropErr
		})
	return env
}

// checkCalls fails t unless the activities ran with exactly the inputs want, in that order.
func checkCalls(t *testing.T, r *reindex, want ...any) {
	t.Helper()
	if !reflect.DeepEqual(r.calls, want) {
		t.Errorf("activity calls:\n got %+v\nwant %+v", r.calls, want)
	}
}

// A reindex loads the new index, replays into it what changed meanwhile, checks its count,
// swaps the alias, replays into the alias from the same horizon, and drops the old index.
func TestReindexSearchBuildsAndSwapsTheNewIndex(t *testing.T) {
	t.Parallel()
	r := &reindex{}
	env := newReindexEnv(t, r)
	env.ExecuteWorkflow(ReindexSearch, ReindexSearchInput{ChunkSize: 50})
	res := completed[ReindexSearchResult](t, env)
	checkCalls(t, r,
		activities.BeginReindexInput{},
		activities.LoadIndexInput{Index: "products_v2", ChunkSize: 50},
		activities.ReplayChangesInput{Index: "products_v2", Horizon: 42, AfterID: 0, Limit: 50},
		activities.CountIndexInput{Index: "products_v2"},
		activities.SwapIndexInput{Index: "products_v2"},
		activities.ReplayChangesInput{Index: "", Horizon: 42, AfterID: 0, Limit: 50},
		activities.DropIndexesInput{Indexes: []string{"products_v1"}},
	)
	want := ReindexSearchResult{Index: "products_v2", Loaded: 10, Replayed: 4, Indexed: 12, Previous: []string{"products_v1"}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("result %+v, want %+v", res, want)
	}
}

// Zero input loads and replays in chunks of 1000.
func TestReindexSearchDefaultChunk(t *testing.T) {
	t.Parallel()
	r := &reindex{}
	env := newReindexEnv(t, r)
	env.ExecuteWorkflow(ReindexSearch, ReindexSearchInput{})
	completed[ReindexSearchResult](t, env)
	if len(r.calls) < 2 || r.calls[1] != (activities.LoadIndexInput{Index: "products_v2", ChunkSize: 1000}) {
		t.Errorf("activity calls %+v, want a load in chunks of 1000", r.calls)
	}
}

// Products created during the load leave the new index short of the catalog: the reindex
// replays again from the last change it replayed, and swaps once the counts match.
func TestReindexSearchReplaysAgainUntilTheCountMatches(t *testing.T) {
	t.Parallel()
	counts := []activities.CountIndexResult{{Indexed: 10, Catalog: 12}, {Indexed: 12, Catalog: 13}, {Indexed: 13, Catalog: 13}}
	r := &reindex{
		count: func(activities.CountIndexInput) (activities.CountIndexResult, error) {
			c := counts[0]
			counts = counts[1:]
			return c, nil
		},
		swap: func(activities.SwapIndexInput) (activities.SwapIndexResult, error) {
			return activities.SwapIndexResult{}, nil
		},
	}
	env := newReindexEnv(t, r)
	env.ExecuteWorkflow(ReindexSearch, ReindexSearchInput{ChunkSize: 50})
	res := completed[ReindexSearchResult](t, env)
	checkCalls(t, r,
		activities.BeginReindexInput{},
		activities.LoadIndexInput{Index: "products_v2", ChunkSize: 50},
		activities.ReplayChangesInput{Index: "products_v2", Horizon: 42, AfterID: 0, Limit: 50},
		activities.CountIndexInput{Index: "products_v2"},
		activities.ReplayChangesInput{Index: "products_v2", Horizon: 42, AfterID: 100, Limit: 50},
		activities.CountIndexInput{Index: "products_v2"},
		activities.ReplayChangesInput{Index: "products_v2", Horizon: 42, AfterID: 200, Limit: 50},
		activities.CountIndexInput{Index: "products_v2"},
		activities.SwapIndexInput{Index: "products_v2"},
		// No previous index: the first reindex has nothing to drop.
		activities.ReplayChangesInput{Index: "", Horizon: 42, AfterID: 0, Limit: 50},
	)
	if res.Replayed != 8 || res.Indexed != 13 || res.Previous != nil {
		t.Errorf("result %+v, want 8 replayed (2 after the swap), 13 indexed, nothing previous", res)
	}
}

// A new index still short of the catalog after reindexCountChecks replays is never swapped in:
// the reindex drops it and fails for good, the old index staying live.
func TestReindexSearchGivesUpWhenTheCountNeverMatches(t *testing.T) {
	t.Parallel()
	r := &reindex{count: func(activities.CountIndexInput) (activities.CountIndexResult, error) {
		return activities.CountIndexResult{Indexed: 10, Catalog: 12}, nil
	}}
	env := newReindexEnv(t, r)
	env.ExecuteWorkflow(ReindexSearch, ReindexSearchInput{ChunkSize: 50})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != "ReindexIncomplete" || !appErr.NonRetryable() {
		t.Fatalf("workflow ended with %v, want a non-retryable ReindexIncomplete", err)
	}
	want := []any{
		activities.BeginReindexInput{},
		activities.LoadIndexInput{Index: "products_v2", ChunkSize: 50},
	}
	for i := range reindexCountChecks {
		want = append(want,
			activities.ReplayChangesInput{Index: "products_v2", Horizon: 42, AfterID: int64(i) * 100, Limit: 50},
			activities.CountIndexInput{Index: "products_v2"})
	}
	want = append(want, activities.DropIndexesInput{Indexes: []string{"products_v2"}})
	checkCalls(t, r, want...)
}

// A load that fails drops the half-built index and fails the reindex; nothing is swapped.
func TestReindexSearchDropsTheNewIndexWhenTheLoadFails(t *testing.T) {
	t.Parallel()
	r := &reindex{load: func(activities.LoadIndexInput) (activities.LoadIndexResult, error) {
		return activities.LoadIndexResult{}, temporal.NewNonRetryableApplicationError("mapping rejected", "Test", nil)
	}}
	env := newReindexEnv(t, r)
	env.ExecuteWorkflow(ReindexSearch, ReindexSearchInput{ChunkSize: 50})
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != "Test" {
		t.Fatalf("workflow ended with %v, want the load's error", err)
	}
	checkCalls(t, r,
		activities.BeginReindexInput{},
		activities.LoadIndexInput{Index: "products_v2", ChunkSize: 50},
		activities.DropIndexesInput{Indexes: []string{"products_v2"}},
	)
}

// A deployment searched by Postgres has no index to rebuild: the reindex fails with the
// activity's NoSearchIndex error and drops nothing (there is nothing it created).
func TestReindexSearchFailsWithoutAnIndex(t *testing.T) {
	t.Parallel()
	r := &reindex{begin: func() (activities.BeginReindexResult, error) {
		return activities.BeginReindexResult{}, temporal.NewNonRetryableApplicationError("postgres", activities.ErrTypeNoSearchIndex, nil)
	}}
	env := newReindexEnv(t, r)
	env.ExecuteWorkflow(ReindexSearch, ReindexSearchInput{})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeNoSearchIndex {
		t.Fatalf("workflow ended with %v, want %s", err, activities.ErrTypeNoSearchIndex)
	}
	checkCalls(t, r, activities.BeginReindexInput{})
}

// A reindex cancelled during the load still drops the new index: the drop runs on a
// disconnected context.
func TestReindexSearchCancelledDuringTheLoadDropsTheNewIndex(t *testing.T) {
	t.Parallel()
	r := &reindex{}
	env := newReindexEnv(t, r)
	r.load = func(activities.LoadIndexInput) (activities.LoadIndexResult, error) {
		env.CancelWorkflow()
		return activities.LoadIndexResult{Loaded: 3, LastID: 3}, nil
	}
	env.ExecuteWorkflow(ReindexSearch, ReindexSearchInput{ChunkSize: 50})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var canceled *temporal.CanceledError
	if err := env.GetWorkflowError(); !errors.As(err, &canceled) {
		t.Fatalf("workflow ended with %v, want canceled", err)
	}
	checkCalls(t, r,
		activities.BeginReindexInput{},
		activities.LoadIndexInput{Index: "products_v2", ChunkSize: 50},
		activities.DropIndexesInput{Indexes: []string{"products_v2"}},
	)
}

// The stats refresh sums the sales of the window ending at the hour the Schedule fired for,
// however late the run starts, and forgets applied changes older than KeepApplied.
func TestRefreshSearchStatsUsesTheScheduledHour(t *testing.T) {
	t.Parallel()
	scheduled := time.Date(2026, 11, 21, 10, 1, 0, 0, time.FixedZone("CET", 3600)) // 09:01 UTC
	to := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		in   RefreshSearchStatsInput
		want activities.RefreshSearchStatsInput
	}{
		{"defaults", RefreshSearchStatsInput{},
			activities.RefreshSearchStatsInput{From: to.Add(-24 * time.Hour), To: to, KeepApplied: 24 * time.Hour}},
		{"configured", RefreshSearchStatsInput{Window: 7 * 24 * time.Hour, KeepApplied: 2 * time.Hour},
			activities.RefreshSearchStatsInput{From: to.Add(-7 * 24 * time.Hour), To: to, KeepApplied: 2 * time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv()
			env.RegisterWorkflowWithOptions(RefreshSearchStats, workflow.RegisterOptions{Name: RefreshSearchStatsWorkflowName})
			env.SetStartTime(scheduled.Add(95 * time.Minute)) // late, in the next hour
			if err := env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(searchScheduledStartTime.ValueSet(scheduled))); err != nil {
				t.Fatal(err)
			}
			env.OnActivity(searchActs.RefreshSearchStats, mock.Anything, tc.want).
				Return(activities.RefreshSearchStatsResult{Changed: 7, Deleted: 3}, nil).Once()
			env.ExecuteWorkflow(RefreshSearchStats, tc.in)
			if r := completed[RefreshSearchStatsResult](t, env); r != (RefreshSearchStatsResult{Changed: 7, Deleted: 3}) {
				t.Errorf("result %+v, want the activity's counts", r)
			}
			env.AssertExpectations(t)
		})
	}
}

// Started by hand (no scheduled time), the refresh uses the hour it starts in.
func TestRefreshSearchStatsByHandUsesItsStartHour(t *testing.T) {
	t.Parallel()
	env := newTestEnv()
	env.SetStartTime(time.Date(2026, 11, 21, 9, 37, 12, 0, time.UTC))
	to := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	env.OnActivity(searchActs.RefreshSearchStats, mock.Anything,
		activities.RefreshSearchStatsInput{From: to.Add(-time.Hour), To: to, KeepApplied: 24 * time.Hour}).
		Return(activities.RefreshSearchStatsResult{}, nil).Once()
	env.ExecuteWorkflow(RefreshSearchStats, RefreshSearchStatsInput{Window: time.Hour})
	completed[RefreshSearchStatsResult](t, env)
	env.AssertExpectations(t)
}

// The alias has left the old index once swapped, so the old index is dropped even when the
// replay after the swap fails, and the failure is still reported.
func TestReindexSearchDropsTheOldIndexWhenTheLastReplayFails(t *testing.T) {
	t.Parallel()
	env := newTestEnv()
	env.OnActivity(searchActs.BeginReindex, mock.Anything, mock.Anything).
		Return(activities.BeginReindexResult{Index: "new", Horizon: 1, Expected: 1}, nil)
	env.OnActivity(searchActs.LoadIndex, mock.Anything, mock.Anything).Return(activities.LoadIndexResult{Loaded: 1}, nil)
	env.OnActivity(searchActs.ReplayChanges, mock.Anything, activities.ReplayChangesInput{Index: "new", Horizon: 1, Limit: 1000}).
		Return(activities.ReplayChangesResult{}, nil)
	env.OnActivity(searchActs.ReplayChanges, mock.Anything, activities.ReplayChangesInput{Horizon: 1, Limit: 1000}).
		Return(activities.ReplayChangesResult{}, temporal.NewNonRetryableApplicationError("alias write failed", "Test", nil))
	env.OnActivity(searchActs.CountIndex, mock.Anything, mock.Anything).Return(activities.CountIndexResult{Indexed: 1, Catalog: 1}, nil)
	env.OnActivity(searchActs.SwapIndex, mock.Anything, mock.Anything).Return(activities.SwapIndexResult{Previous: []string{"old"}}, nil)
	env.OnActivity(searchActs.DropIndexes, mock.Anything, activities.DropIndexesInput{Indexes: []string{"old"}}).
		Return(activities.DropIndexesResult{}, nil).Once()
	env.ExecuteWorkflow(ReindexSearch, ReindexSearchInput{})
	if err := env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "alias write failed") {
		t.Fatalf("workflow error %v, want the replay's failure", err)
	}
	env.AssertExpectations(t)
}
