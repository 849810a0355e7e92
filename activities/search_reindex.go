package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"shopflow/search"
)

// ErrTypeNoSearchIndex is the failure of a reindex asked of a deployment whose searches are
// answered by Postgres, which has no index to rebuild.
const ErrTypeNoSearchIndex = "NoSearchIndex"

// BeginReindexInput starts a reindex.
type BeginReindexInput struct{}

// BeginReindexResult names the new physical index and the replay horizon.
type BeginReindexResult struct {
	Index string
	// Horizon is the oldest transaction running when the reindex began; changes of it and
	// later ones are replayed into the new index (store.SearchHorizon).
	Horizon uint64
	// Expected is how many documents the catalog held when the reindex began.
	Expected int64
}

// BeginReindex reads the replay horizon, then creates an empty index with the current mapping.
// The horizon is read first, so every change the bulk load might miss is replayed.
func (a *Search) BeginReindex(ctx context.Context, _ BeginReindexInput) (BeginReindexResult, error) {
	if a.Index == nil {
		// Postgres reads its tables directly; refreshing the typo vocabulary is all there is.
		if err := a.Catalog.RefreshTerms(ctx); err != nil {
			return BeginReindexResult{}, err
		}
		return BeginReindexResult{}, temporal.NewNonRetryableApplicationError(
			"search is answered by Postgres (SHOPFLOW_SEARCH_BACKEND=postgres): there is no index to rebuild; the typo vocabulary was refreshed",
			ErrTypeNoSearchIndex, nil)
	}
	horizon, err := a.Store.SearchHorizon(ctx)
	if err != nil {
		return BeginReindexResult{}, err
	}
	expected, err := a.Catalog.Count(ctx)
	if err != nil {
		return BeginReindexResult{}, err
	}
	index, err := a.Index.CreateIndex(ctx)
	if err != nil {
		return BeginReindexResult{}, err
	}
	return BeginReindexResult{Index: index, Horizon: horizon, Expected: expected}, nil
}

// LoadIndexInput is a bulk load of every product into Index.
type LoadIndexInput struct {
	Index     string
	ChunkSize int
}

// LoadIndexProgress is the load's heartbeat: the Temporal UI shows it on the pending
// activity, and a retry after a crash resumes after LastID instead of starting over.
type LoadIndexProgress struct {
	LastID int64
	Loaded int64
}

// LoadIndexResult counts the load.
type LoadIndexResult struct {
	Loaded int64
	LastID int64
}

// LoadIndex copies every product into Index in chunks by id, heartbeating its progress.
func (a *Search) LoadIndex(ctx context.Context, in LoadIndexInput) (LoadIndexResult, error) {
	var p LoadIndexProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &p); err != nil {
			return LoadIndexResult{}, fmt.Errorf("read load progress: %w", err)
		}
		activity.GetLogger(ctx).Info("reindex: resuming load", "after_id", p.LastID, "loaded", p.Loaded)
	}
	for {
		docs, err := a.Catalog.Chunk(ctx, p.LastID, in.ChunkSize)
		if err != nil {
			return LoadIndexResult{}, err
		}
		if len(docs) == 0 {
			return LoadIndexResult{Loaded: p.Loaded, LastID: p.LastID}, nil
		}
		res, err := a.Index.Load(ctx, in.Index, docs)
		if err != nil {
			return LoadIndexResult{}, err
		}
		if len(res.Failed) > 0 {
			return LoadIndexResult{}, fmt.Errorf("load %s: the index refused %d documents, e.g. product %d", in.Index, len(res.Failed), res.Failed[0])
		}
		p.LastID = docs[len(docs)-1].ID
		p.Loaded += int64(len(docs))
		activity.RecordHeartbeat(ctx, p)
	}
}

// ReplayChangesInput replays the changes since Horizon into Index ("" is the live alias).
type ReplayChangesInput struct {
	Index   string
	Horizon uint64
	AfterID int64
	Limit   int
}

// ReplayChangesResult says how far the replay got.
type ReplayChangesResult struct {
	LastID   int64
	Products int64
}

// ReplayChanges writes every product changed since the horizon as it is now, so nothing
// changed during the load is missing from the new index. It stops at the newest change queued
// when it started: under a steady stream of changes it would otherwise never end, and later
// ones are the next replay's or, once the alias is swapped, the change drain's.
func (a *Search) ReplayChanges(ctx context.Context, in ReplayChangesInput) (ReplayChangesResult, error) {
	res := ReplayChangesResult{LastID: in.AfterID}
	upTo, err := a.Store.LastSearchChange(ctx)
	if err != nil {
		return res, err
	}
	for {
		ids, last, n, err := a.Store.SearchChangesSince(ctx, in.Horizon, res.LastID, upTo, in.Limit)
		if err != nil {
			return res, err
		}
		if n == 0 {
			return res, nil
		}
		docs, err := a.Catalog.Documents(ctx, ids)
		if err != nil {
			return res, err
		}
		if err := a.write(ctx, in.Index, docs); err != nil {
			return res, err
		}
		res.LastID = last
		res.Products += int64(len(docs))
		activity.RecordHeartbeat(ctx, res)
	}
}

func (a *Search) write(ctx context.Context, index string, docs []search.Document) error {
	var failed []int64
	if index == "" {
		r, err := a.Index.Apply(ctx, docs)
		if err != nil {
			return err
		}
		failed = r.Failed
	} else {
		r, err := a.Index.Load(ctx, index, docs)
		if err != nil {
			return err
		}
		failed = r.Failed
	}
	if len(failed) > 0 {
		return fmt.Errorf("replay into %q: the index refused %d documents, e.g. product %d", index, len(failed), failed[0])
	}
	return nil
}

// CountIndexInput names the index to count.
type CountIndexInput struct {
	Index string
}

// CountIndexResult compares the index with the catalog.
type CountIndexResult struct {
	Indexed, Catalog int64
}

// CountIndex counts the documents of Index and the products of the catalog.
func (a *Search) CountIndex(ctx context.Context, in CountIndexInput) (CountIndexResult, error) {
	indexed, err := a.Index.Count(ctx, in.Index)
	if err != nil {
		return CountIndexResult{}, err
	}
	catalog, err := a.Catalog.Count(ctx)
	return CountIndexResult{Indexed: indexed, Catalog: catalog}, err
}

// SwapIndexInput names the index the live alias moves to.
type SwapIndexInput struct {
	Index string
}

// SwapIndexResult names the indexes the alias left.
type SwapIndexResult struct {
	Previous []string
}

// SwapIndex points the live alias at Index in one atomic step.
func (a *Search) SwapIndex(ctx context.Context, in SwapIndexInput) (SwapIndexResult, error) {
	prev, err := a.Index.Swap(ctx, in.Index)
	return SwapIndexResult{Previous: prev}, err
}

// DropIndexesInput names indexes to delete.
type DropIndexesInput struct {
	Indexes []string
}

// DropIndexesResult is empty; an activity still has its own result type.
type DropIndexesResult struct{}

// DropIndexes deletes physical indexes (the ones a swap left, or a failed reindex's).
func (a *Search) DropIndexes(ctx context.Context, in DropIndexesInput) (DropIndexesResult, error) {
	for _, index := range in.Indexes {
		if err := a.Index.Drop(ctx, index); err != nil {
			return DropIndexesResult{}, err
		}
	}
	return DropIndexesResult{}, nil
}
