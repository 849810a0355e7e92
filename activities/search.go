package activities

import (
	"context"
	"time"

	"shopflow/search"
	"shopflow/store"
)

// SearchCatalog reads products as search documents and keeps the search tables that are not
// fed by triggers (search/postgres.Catalog).
type SearchCatalog interface {
	Documents(ctx context.Context, ids []int64) ([]search.Document, error)
	Chunk(ctx context.Context, afterID int64, limit int) ([]search.Document, error)
	Count(ctx context.Context) (int64, error)
	RefreshTerms(ctx context.Context) error
	UpdateSales(ctx context.Context, from, to time.Time) (int64, error)
}

// Search holds what keeps the search index fresh: the change queue (Store), the documents
// (Catalog) and the external index, nil when Postgres answers searches itself (it reads the
// tables directly, so applying a change is only marking it applied).
type Search struct {
	Store   *store.Store
	Catalog SearchCatalog
	Index   search.Index
}

// ApplySearchChangesInput sizes one batch.
type ApplySearchChangesInput struct {
	Limit int
}

// ApplySearchChangesResult counts one batch.
type ApplySearchChangesResult struct {
	Changes  int  // products with pending changes read (each up to its newest change)
	Products int  // distinct products written
	Failed   int  // products the index refused; their changes stay queued
	Expanded int  // category and seller changes turned into product changes
	More     bool // changes still wait after this batch
}

// ApplySearchChanges applies up to Limit queued changes to the index in one bulk request and
// marks them applied; changes of documents the index refused stay queued for the next batch.
// Each document is read as it is now, so applying a change twice is harmless.
func (a *Search) ApplySearchChanges(ctx context.Context, in ApplySearchChangesInput) (ApplySearchChangesResult, error) {
	var res ApplySearchChangesResult
	expanded, err := a.Store.ExpandSearchChanges(ctx, in.Limit)
	if err != nil {
		return res, err
	}
	res.Expanded = expanded
	changes, err := a.Store.PendingSearchChanges(ctx, in.Limit)
	if err != nil {
		return res, err
	}
	res.Changes = len(changes)
	failed := map[int64]bool{}
	if a.Index != nil && len(changes) > 0 {
		docs, err := a.Catalog.Documents(ctx, productsOf(changes))
		if err != nil {
			return res, err
		}
		applied, err := a.Index.Apply(ctx, docs)
		if err != nil {
			return res, err
		}
		res.Products = len(docs)
		res.Failed = len(applied.Failed)
		for _, id := range applied.Failed {
			failed[id] = true
		}
	}
	var done, refused []store.SearchChange
	for _, c := range changes {
		if failed[c.ProductID] {
			refused = append(refused, c)
		} else {
			done = append(done, c)
		}
	}
	if err := a.Store.CollapseSearchChanges(ctx, refused); err != nil {
		return res, err
	}
	if err := a.Store.MarkSearchChangesApplied(ctx, done); err != nil {
		return res, err
	}
	res.More, err = a.Store.SearchChangesPending(ctx)
	return res, err
}

func productsOf(changes []store.SearchChange) []int64 {
	seen := make(map[int64]bool, len(changes))
	var ids []int64
	for _, c := range changes {
		if !seen[c.ProductID] {
			seen[c.ProductID] = true
			ids = append(ids, c.ProductID)
		}
	}
	return ids
}

// RefreshSearchStatsInput is the sales window best-selling sorts by.
type RefreshSearchStatsInput struct {
	From, To time.Time
	// KeepApplied is how long applied changes are kept for a reindex to replay.
	KeepApplied time.Duration
}

// RefreshSearchStatsResult counts what changed.
type RefreshSearchStatsResult struct {
	Changed int64 // products whose units sold changed (each queues an index change)
	Deleted int64 // applied changes forgotten
}

// RefreshSearchStats sets each product's units sold in the window, refreshes the vocabulary
// typos are corrected against, and forgets old applied changes.
func (a *Search) RefreshSearchStats(ctx context.Context, in RefreshSearchStatsInput) (RefreshSearchStatsResult, error) {
	var res RefreshSearchStatsResult
	changed, err := a.Catalog.UpdateSales(ctx, in.From, in.To)
	if err != nil {
		return res, err
	}
	res.Changed = changed
	if err := a.Catalog.RefreshTerms(ctx); err != nil {
		return res, err
	}
	// In chunks, so a large category rename's hundreds of thousands of rows go in one run
	// without one long delete.
	for {
		deleted, err := a.Store.DeleteAppliedSearchChanges(ctx, in.To.Add(-in.KeepApplied), deleteChunk)
		res.Deleted += deleted
		if err != nil || deleted < deleteChunk {
			return res, err
		}
	}
}

// deleteChunk is how many applied changes one statement forgets.
const deleteChunk = 50000
