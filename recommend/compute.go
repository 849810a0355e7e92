package recommend

import (
	"context"
	"time"

	"shopflow/store"
)

// countChunkBlocks is how many blocks of pending sales (8 kB each, about 100 lines a block)
// one transaction counts: big enough that a first build over millions of lines takes tens of
// steps, small enough that each step's temporary tables stay in memory.
const countChunkBlocks = 1024

// rebuildMinBlocks is the smallest backlog (about 100 lines a block) worth a rebuild: below it
// the steps of the incremental path are few and cheap.
const rebuildMinBlocks = 4 * countChunkBlocks

// rebuild says whether to recompute the counts from the window's orders rather than apply the
// backlog line by line: when the backlog is large and at least as large as what is counted (a
// first build, a job that was stopped for long), the rebuild's few sorts cost less than
// millions of index updates, and its cost still grows with the backlog, not with history.
func rebuild(b store.RecsBacklog) bool {
	return b.PendingBlocks >= rebuildMinBlocks && b.PendingBlocks >= b.OrderBlocks
}

// CountResult says what UpdateCounts counted.
type CountResult struct {
	WindowStart time.Time // first day (UTC) the counts cover
	Lines       int64     // sale lines counted
	Orders      int64     // orders whose contribution changed, expired ones included
	Expired     int64     // orders that left the window
	Dirty       int64     // products marked for republishing (a product may count more than once)
	Rebuilt     bool      // the backlog was counted by a rebuild (store.RebuildRecsCounts)
	Step        string    // what a rebuild is doing now, for progress reports
}

// WindowStart is the first day of the window of days days that ends on asOf's UTC date.
func WindowStart(asOf time.Time, days int) time.Time {
	d := asOf.UTC().Truncate(24 * time.Hour)
	return d.AddDate(0, 0, -(days - 1))
}

// UpdateCounts brings the co-occurrence counts up to asOf: it takes out the orders whose day left
// the window, then counts the sales recorded since the last run, one range of blocks per
// transaction, calling progress after each. Its cost grows with the sales it counts and the
// orders it expires, not with the window's history. Running it again counts nothing twice.
func UpdateCounts(ctx context.Context, st *store.Store, asOf time.Time, days int, progress func(CountResult)) (CountResult, error) {
	res := CountResult{WindowStart: WindowStart(asOf, days)}
	exp, err := st.ExpireRecsOrders(ctx, res.WindowStart)
	if err != nil {
		return res, err
	}
	res.Expired, res.Orders, res.Dirty = exp.Orders, exp.Orders, exp.Dirty
	progress(res)
	backlog, err := st.RecsBacklogSize(ctx)
	if err != nil {
		return res, err
	}
	if rebuild(backlog) {
		return rebuildCounts(ctx, st, res, progress)
	}
	blocks := backlog.PendingBlocks
	for from := int64(0); from < blocks; from += countChunkBlocks {
		c, err := st.CountRecsSales(ctx, res.WindowStart, from, min(from+countChunkBlocks, blocks))
		if err != nil {
			return res, err
		}
		res.Lines += c.Lines
		res.Orders += c.Orders
		res.Dirty += c.Dirty
		progress(res)
	}
	if blocks > countChunkBlocks {
		// Autovacuum would get there too, later; until then each run scans the empty blocks.
		if err := st.VacuumRecsPending(ctx); err != nil {
			return res, err
		}
	}
	return res, nil
}

// rebuildCounts counts the backlog with store.RebuildRecsCounts, reporting each statement as a
// step, then gives the emptied queue's blocks back.
func rebuildCounts(ctx context.Context, st *store.Store, res CountResult, progress func(CountResult)) (CountResult, error) {
	res.Rebuilt = true
	c, err := st.RebuildRecsCounts(ctx, res.WindowStart, func(step string) {
		res.Step = step
		progress(res)
	})
	if err != nil {
		return res, err
	}
	res.Step = ""
	res.Lines += c.Lines
	res.Orders += c.Orders
	res.Dirty += c.Dirty
	progress(res)
	return res, st.VacuumRecsPending(ctx)
}
