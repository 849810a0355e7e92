package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Co-occurrence counts for "also bought" lists (migration 00017, docs/RECOMMENDATIONS.md).
// Sales reach recs_pending through a trigger; CountRecsSales moves them, a range of blocks at
// a time, into the window's orders (recs_orders) and the counts derived from them (recs_items,
// recs_pairs), and ExpireRecsOrders takes out the orders whose day left the window. Both work
// the same way: for each order they touch, subtract what it counted before and add what it
// counts now, so an order whose lines arrive over several runs counts once, with all of them.
// Every product whose counts changed is marked in recs_dirty for the publisher.

// recsLockKey serialises the jobs that change the counts (pg_advisory_xact_lock), so a run
// started by hand and a scheduled one never apply the same lines twice.
const recsLockKey = 7_310_017

// RecsPendingBlocks is how many blocks recs_pending has now: a run counts the lines in blocks
// [0, n), which holds every line committed before it looked.
func (s *Store) RecsPendingBlocks(ctx context.Context) (int64, error) {
	var n int64
	err := s.Pool.QueryRow(ctx,
		`SELECT pg_relation_size('recs_pending') / current_setting('block_size')::bigint`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("size of pending sales: %w", err)
	}
	return n, nil
}

// VacuumRecsPending gives the blocks of counted sales back, so that after a large backlog
// (a first build) the next runs do not scan its empty blocks.
func (s *Store) VacuumRecsPending(ctx context.Context) error {
	if _, err := s.Pool.Exec(ctx, `VACUUM recs_pending`); err != nil {
		return fmt.Errorf("vacuum pending sales: %w", err)
	}
	return nil
}

// RecsCount says what one step of the count did.
type RecsCount struct {
	Lines  int64 // pending sale lines consumed
	Orders int64 // orders whose contribution changed
	Dirty  int64 // products marked for republishing
}

// CountRecsSales counts the pending sale lines stored in blocks [from, to) of recs_pending
// into the window starting on windowStart (a UTC date), and deletes them, in one transaction.
// Lines of orders whose day is before windowStart are dropped uncounted.
func (s *Store) CountRecsSales(ctx context.Context, windowStart time.Time, from, to int64) (RecsCount, error) {
	var res RecsCount
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		res = RecsCount{}
		start, err := lockRecs(ctx, tx, windowStart)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
			return fmt.Errorf("work_mem: %w", err)
		}
		tag, err := tx.Exec(ctx, `
			CREATE TEMPORARY TABLE recs_batch ON COMMIT DROP AS
			WITH taken AS (
				DELETE FROM recs_pending
				WHERE ctid >= format('(%s,0)', $1::bigint)::tid AND ctid < format('(%s,0)', $2::bigint)::tid
				RETURNING source, external_order_id, product_id, ordered_at)
			SELECT source, external_order_id, min((ordered_at AT TIME ZONE 'UTC')::date) AS day,
			       array_agg(DISTINCT product_id ORDER BY product_id) AS products, count(*) AS lines
			FROM taken GROUP BY source, external_order_id`, from, to)
		if err != nil {
			return fmt.Errorf("take pending sales: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(lines), 0)::bigint FROM recs_batch`).Scan(&res.Lines); err != nil {
			return fmt.Errorf("count pending sales: %w", err)
		}
		// An order's new state: its products so far plus the new ones, dated by its earliest
		// line (least ignores the NULLs of orders not seen before).
		if _, err := tx.Exec(ctx, `
			CREATE TEMPORARY TABLE recs_change ON COMMIT DROP AS
			SELECT b.source, b.external_order_id, o.day AS old_day, o.products AS old_products,
			       least(o.day, b.day) AS new_day,
			       CASE WHEN o.products IS NULL THEN b.products
			            ELSE ARRAY(SELECT DISTINCT p FROM unnest(o.products || b.products) p ORDER BY p) END AS new_products
			FROM recs_batch b LEFT JOIN recs_orders o USING (source, external_order_id)`); err != nil {
			return fmt.Errorf("merge pending sales: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			DELETE FROM recs_change WHERE old_day IS NOT DISTINCT FROM new_day AND old_products = new_products`); err != nil {
			return fmt.Errorf("drop unchanged orders: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO recs_orders AS o (source, external_order_id, day, products)
			SELECT source, external_order_id, new_day, new_products FROM recs_change WHERE new_day >= $1
			ORDER BY source, external_order_id
			ON CONFLICT (source, external_order_id) DO UPDATE SET day = EXCLUDED.day, products = EXCLUDED.products`, start); err != nil {
			return fmt.Errorf("store orders: %w", err)
		}
		// An order can leave by gaining a line dated before the window.
		if _, err := tx.Exec(ctx, `
			DELETE FROM recs_orders o USING recs_change c
			WHERE o.source = c.source AND o.external_order_id = c.external_order_id AND c.new_day < $1`, start); err != nil {
			return fmt.Errorf("drop orders out of the window: %w", err)
		}
		res.Orders, res.Dirty, err = applyRecsChanges(ctx, tx, start, start)
		return err
	})
	if err != nil {
		return RecsCount{}, fmt.Errorf("count sales %d-%d for recommendations: %w", from, to, err)
	}
	return res, nil
}

// ExpireRecsOrders moves the window's start forward to windowStart, taking out the orders whose
// day is before it. A start earlier than the one the counts already have changes nothing: the
// orders before it are gone (a late run of an earlier period counts into the later window).
func (s *Store) ExpireRecsOrders(ctx context.Context, windowStart time.Time) (RecsCount, error) {
	var res RecsCount
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		res = RecsCount{}
		var old time.Time
		err := tx.QueryRow(ctx, `SELECT window_start FROM recs_state`).Scan(&old)
		if err == pgx.ErrNoRows {
			// Nothing counted yet, so nothing to take out; the first count records the start.
			_, err = lockRecs(ctx, tx, windowStart)
			return err
		}
		if err != nil {
			return fmt.Errorf("read window: %w", err)
		}
		start, err := lockRecs(ctx, tx, windowStart)
		if err != nil || !start.After(old) {
			return err
		}
		tag, err := tx.Exec(ctx, `
			CREATE TEMPORARY TABLE recs_change ON COMMIT DROP AS
			WITH gone AS (DELETE FROM recs_orders WHERE day < $1 RETURNING source, external_order_id, day, products)
			SELECT source, external_order_id, day AS old_day, products AS old_products,
			       NULL::date AS new_day, NULL::bigint[] AS new_products
			FROM gone`, start)
		if err != nil {
			return fmt.Errorf("take out orders before %s: %w", start.Format(time.DateOnly), err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		res.Orders, res.Dirty, err = applyRecsChanges(ctx, tx, old, start)
		return err
	})
	if err != nil {
		return RecsCount{}, fmt.Errorf("expire recommendation orders before %s: %w", windowStart.Format(time.DateOnly), err)
	}
	return res, nil
}

// lockRecs takes the counts' lock and moves the recorded window start forward to windowStart
// (never back), returning the start the counts now have.
func lockRecs(ctx context.Context, tx pgx.Tx, windowStart time.Time) (time.Time, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, recsLockKey); err != nil {
		return time.Time{}, fmt.Errorf("lock recommendation counts: %w", err)
	}
	var start time.Time
	err := tx.QueryRow(ctx, `
		INSERT INTO recs_state AS s (window_start) VALUES ($1::date)
		ON CONFLICT (id) DO UPDATE SET window_start = greatest(s.window_start, EXCLUDED.window_start)
		RETURNING window_start`, windowStart).Scan(&start)
	if err != nil {
		return time.Time{}, fmt.Errorf("record window start: %w", err)
	}
	return start, nil
}

// applyRecsChanges applies recs_change (each touched order's old and new day and products) to
// the item and pair counts: an order's old products count -1 when its old day was counted
// (on or after oldStart), its new products +1 when its new day is on or after newStart. It
// marks every product whose counts changed and returns how many orders and products did.
func applyRecsChanges(ctx context.Context, tx pgx.Tx, oldStart, newStart time.Time) (orders, dirty int64, err error) {
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM recs_change`).Scan(&orders); err != nil {
		return 0, 0, fmt.Errorf("count changed orders: %w", err)
	}
	if _, err := tx.Exec(ctx, `
		CREATE TEMPORARY TABLE recs_item_delta ON COMMIT DROP AS
		SELECT product_id, sum(d)::bigint AS d FROM (
			SELECT p AS product_id, -1 AS d FROM recs_change, unnest(old_products) p WHERE old_day >= $1
			UNION ALL
			SELECT p, 1 FROM recs_change, unnest(new_products) p WHERE new_day >= $2) x
		GROUP BY product_id HAVING sum(d) <> 0`, oldStart, newStart); err != nil {
		return 0, 0, fmt.Errorf("item changes: %w", err)
	}
	if _, err := tx.Exec(ctx, `
		CREATE TEMPORARY TABLE recs_pair_delta ON COMMIT DROP AS
		SELECT a, b, sum(d)::bigint AS d FROM (
			SELECT x.a, y.b, -1 AS d FROM recs_change c, unnest(c.old_products) x(a), unnest(c.old_products) y(b)
			WHERE c.old_day >= $1 AND x.a < y.b
			UNION ALL
			SELECT x.a, y.b, 1 FROM recs_change c, unnest(c.new_products) x(a), unnest(c.new_products) y(b)
			WHERE c.new_day >= $2 AND x.a < y.b) x
		GROUP BY a, b HAVING sum(d) <> 0`, oldStart, newStart); err != nil {
		return 0, 0, fmt.Errorf("pair changes: %w", err)
	}
	// Update, then insert what is new, rather than INSERT ... ON CONFLICT: Postgres checks
	// the proposed row's CHECK (orders >= 0) before it finds the conflict, so a negative delta
	// would fail. The advisory lock keeps other counting transactions out in between.
	for _, q := range []struct{ what, sql string }{
		{"items", `UPDATE recs_items i SET orders = i.orders + d.d FROM recs_item_delta d WHERE i.product_id = d.product_id`},
		{"new items", `INSERT INTO recs_items (product_id, orders)
			SELECT product_id, d FROM recs_item_delta d
			WHERE NOT EXISTS (SELECT FROM recs_items i WHERE i.product_id = d.product_id) ORDER BY product_id`},
		{"empty items", `DELETE FROM recs_items i USING recs_item_delta d WHERE i.product_id = d.product_id AND i.orders = 0`},
		{"pairs", `UPDATE recs_pairs p SET orders = p.orders + d.d FROM recs_pair_delta d WHERE p.product_a = d.a AND p.product_b = d.b`},
		{"new pairs", `INSERT INTO recs_pairs (product_a, product_b, orders)
			SELECT a, b, d FROM recs_pair_delta d
			WHERE NOT EXISTS (SELECT FROM recs_pairs p WHERE p.product_a = d.a AND p.product_b = d.b) ORDER BY a, b`},
		{"empty pairs", `DELETE FROM recs_pairs p USING recs_pair_delta d WHERE p.product_a = d.a AND p.product_b = d.b AND p.orders = 0`},
	} {
		if _, err := tx.Exec(ctx, q.sql); err != nil {
			return 0, 0, fmt.Errorf("apply %s: %w", q.what, err)
		}
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO recs_dirty AS d (product_id)
		SELECT product_id FROM recs_item_delta
		UNION SELECT a FROM recs_pair_delta
		UNION SELECT b FROM recs_pair_delta
		ORDER BY 1
		ON CONFLICT (product_id) DO UPDATE SET seq = nextval('recs_dirty_seq')`)
	if err != nil {
		return 0, 0, fmt.Errorf("mark changed products: %w", err)
	}
	return orders, tag.RowsAffected(), nil
}
