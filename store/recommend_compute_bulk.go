package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RecsBacklog compares the sales waiting to be counted with the orders already counted, both
// in blocks of their tables (about as many lines or orders to a block), so a caller can pick
// between counting the pending lines one by one (CountRecsSales) and rebuilding the counts
// from scratch (RebuildRecsCounts). Sizes, not counts, so the comparison costs nothing.
type RecsBacklog struct {
	PendingBlocks int64 // blocks of recs_pending
	OrderBlocks   int64 // blocks of recs_orders
}

// RecsBacklogSize reads the sizes of the pending sales and of the window's orders.
func (s *Store) RecsBacklogSize(ctx context.Context) (RecsBacklog, error) {
	var b RecsBacklog
	err := s.Pool.QueryRow(ctx, `
		SELECT pg_relation_size('recs_pending') / current_setting('block_size')::bigint,
		       pg_relation_size('recs_orders') / current_setting('block_size')::bigint`).Scan(&b.PendingBlocks, &b.OrderBlocks)
	if err != nil {
		return b, fmt.Errorf("size of recommendation backlog: %w", err)
	}
	return b, nil
}

// RebuildRecsCounts counts every pending sale line, as CountRecsSales does, but set-based: it
// merges the pending lines into the window's orders and recomputes every item and pair count
// from the orders with a few GROUP BY statements, loading each large table with its indexes
// dropped and rebuilding them after. Its cost grows with the window's orders plus the backlog,
// so it pays when the backlog is at least as large as the orders already counted (a first
// build, a job that was off for a long time); the counts it leaves are exactly those the
// incremental path would. It marks every product that had or has counts for republishing.
//
// It runs in one transaction holding the counts' lock and exclusive locks on recs_orders and
// recs_pairs, which only this job reads; new sales keep arriving in recs_pending meanwhile.
// step is called before each statement with what it is about to do, for progress reports.
func (s *Store) RebuildRecsCounts(ctx context.Context, windowStart time.Time, step func(string)) (RecsCount, error) {
	var res RecsCount
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		res = RecsCount{}
		start, err := lockRecs(ctx, tx, windowStart)
		if err != nil {
			return err
		}
		// Sorts and hashes of millions of rows: in memory rather than spilled in 4 MB runs.
		if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '1GB'; SET LOCAL maintenance_work_mem = '1GB'`); err != nil {
			return fmt.Errorf("work_mem: %w", err)
		}
		step("merging pending sales into orders")
		if res.Lines, res.Orders, err = rebuildRecsOrders(ctx, tx, start); err != nil {
			return err
		}
		step("counting products")
		if res.Dirty, err = rebuildRecsItems(ctx, tx); err != nil {
			return err
		}
		step("counting pairs")
		if err := rebuildRecsPairs(ctx, tx); err != nil {
			return err
		}
		step("analyzing")
		// The next incremental runs join against these tables; plan them on what is there now.
		_, err = tx.Exec(ctx, `ANALYZE recs_orders; ANALYZE recs_items; ANALYZE recs_pairs`)
		return err
	})
	if err != nil {
		return RecsCount{}, fmt.Errorf("rebuild recommendation counts from %s: %w", windowStart.Format(time.DateOnly), err)
	}
	return res, nil
}

// pendingOrders groups the pending lines (deleted as they are read, so each is counted once)
// into orders: day of the earliest line, sorted distinct products, number of lines.
const pendingOrders = `
	taken AS (DELETE FROM recs_pending RETURNING source, external_order_id, product_id, ordered_at),
	batch AS (
		SELECT source, external_order_id, min((ordered_at AT TIME ZONE 'UTC')::date) AS day,
		       array_agg(DISTINCT product_id ORDER BY product_id) AS products, count(*) AS lines
		FROM taken GROUP BY source, external_order_id)`

// rebuildRecsOrders replaces recs_orders with the stored orders merged with the pending lines,
// keeping those dated on or after start, and returns the lines and orders taken from pending.
func rebuildRecsOrders(ctx context.Context, tx pgx.Tx, start time.Time) (lines, orders int64, err error) {
	var stored bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM recs_orders)`).Scan(&stored); err != nil {
		return 0, 0, fmt.Errorf("look for counted orders: %w", err)
	}
	if _, err := tx.Exec(ctx, `
		LOCK TABLE recs_orders IN ACCESS EXCLUSIVE MODE;
		ALTER TABLE recs_orders DROP CONSTRAINT recs_orders_pkey;
		DROP INDEX recs_orders_day_idx`); err != nil {
		return 0, 0, fmt.Errorf("drop order indexes: %w", err)
	}
	if !stored {
		// A first build: the grouped lines are the orders.
		err = tx.QueryRow(ctx, `WITH `+pendingOrders+`,
			kept AS (INSERT INTO recs_orders (source, external_order_id, day, products)
			         SELECT source, external_order_id, day, products FROM batch WHERE day >= $1)
			SELECT coalesce(sum(lines), 0)::bigint, count(*) FROM batch`, start).Scan(&lines, &orders)
		if err != nil {
			return 0, 0, fmt.Errorf("store pending orders: %w", err)
		}
	} else {
		// An order seen before gains the new lines' products and keeps its earliest day.
		if _, err := tx.Exec(ctx, `
			CREATE TEMPORARY TABLE recs_merged ON COMMIT DROP AS
			WITH `+pendingOrders+`
			SELECT source, external_order_id, least(o.day, b.day) AS day,
			       CASE WHEN o.products IS NULL THEN b.products WHEN b.products IS NULL THEN o.products
			            ELSE ARRAY(SELECT DISTINCT p FROM unnest(o.products || b.products) p ORDER BY p) END AS products,
			       b.lines
			FROM batch b FULL JOIN recs_orders o USING (source, external_order_id)`); err != nil {
			return 0, 0, fmt.Errorf("merge pending orders: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(lines), 0)::bigint, count(lines) FROM recs_merged`).Scan(&lines, &orders); err != nil {
			return 0, 0, fmt.Errorf("count merged orders: %w", err)
		}
		if _, err := tx.Exec(ctx, `TRUNCATE recs_orders`); err != nil {
			return 0, 0, fmt.Errorf("empty orders: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO recs_orders (source, external_order_id, day, products)
			SELECT source, external_order_id, day, products FROM recs_merged WHERE day >= $1`, start); err != nil {
			return 0, 0, fmt.Errorf("store merged orders: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `
		ALTER TABLE recs_orders ADD PRIMARY KEY (source, external_order_id);
		CREATE INDEX recs_orders_day_idx ON recs_orders (day)`); err != nil {
		return 0, 0, fmt.Errorf("index orders: %w", err)
	}
	return lines, orders, nil
}

// rebuildRecsItems recomputes orders(p) from recs_orders, keeping each product's listed flag,
// and marks every product that had or has a count.
func rebuildRecsItems(ctx context.Context, tx pgx.Tx) (dirty int64, err error) {
	if _, err := tx.Exec(ctx, `
		CREATE TEMPORARY TABLE recs_items_new ON COMMIT DROP AS
		SELECT i.product_id, i.orders, coalesce(old.listed, false) AS listed
		FROM (SELECT p AS product_id, count(*) AS orders FROM recs_orders, unnest(products) p GROUP BY p) i
		LEFT JOIN recs_items old USING (product_id)`); err != nil {
		return 0, fmt.Errorf("count products: %w", err)
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO recs_dirty AS d (product_id)
		SELECT product_id FROM recs_items UNION SELECT product_id FROM recs_items_new ORDER BY 1
		ON CONFLICT (product_id) DO UPDATE SET seq = nextval('recs_dirty_seq')`)
	if err != nil {
		return 0, fmt.Errorf("mark products: %w", err)
	}
	if _, err := tx.Exec(ctx, `
		DELETE FROM recs_items;
		INSERT INTO recs_items (product_id, orders, listed) SELECT product_id, orders, listed FROM recs_items_new ORDER BY product_id`); err != nil {
		return 0, fmt.Errorf("store product counts: %w", err)
	}
	return tag.RowsAffected(), nil
}

// rebuildRecsPairs recomputes support(a, b) from recs_orders into an unindexed recs_pairs, then
// indexes it: one sort for the index instead of millions of index insertions.
func rebuildRecsPairs(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `
		TRUNCATE recs_pairs;
		ALTER TABLE recs_pairs DROP CONSTRAINT recs_pairs_pkey;
		DROP INDEX recs_pairs_a_support_idx;
		DROP INDEX recs_pairs_b_support_idx`); err != nil {
		return fmt.Errorf("drop pair indexes: %w", err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO recs_pairs (product_a, product_b, orders)
		SELECT a, b, count(*) FROM recs_orders o, unnest(o.products) a, unnest(o.products) b
		WHERE a < b GROUP BY a, b`); err != nil {
		return fmt.Errorf("count pairs: %w", err)
	}
	if _, err := tx.Exec(ctx, `
		ALTER TABLE recs_pairs ADD PRIMARY KEY (product_a, product_b);
		CREATE INDEX recs_pairs_a_support_idx ON recs_pairs (product_a, orders) WHERE orders >= 2;
		CREATE INDEX recs_pairs_b_support_idx ON recs_pairs (product_b, orders) WHERE orders >= 2`); err != nil {
		return fmt.Errorf("index pairs: %w", err)
	}
	return nil
}
