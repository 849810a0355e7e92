package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"shopflow/recommend/recommendtest"
)

// loadChunk is how many orders one INSERT writes.
const loadChunk = 300_000

// runBuild loads the history, times the first full build, then records a small batch of new
// sales and times the incremental run.
func runBuild(ctx context.Context, o options, e env, out io.Writer) error {
	products, err := recommendtest.SeedProducts(ctx, e.pool, o.Catalog, 1_000_000)
	if err != nil {
		return err
	}
	asOf := time.Now().UTC()
	began := time.Now()
	orders := max(1, o.Facts/3) // orders of 1-5 lines: 3 on average
	written, err := e.load(ctx, products, 0, orders, asOf, o.Days, out)
	if err != nil {
		return err
	}
	load := time.Since(began)
	fmt.Fprintf(out, "loaded %d sales (%d orders) in %s\n", written, orders, load.Round(time.Millisecond))

	began = time.Now()
	c, p, err := e.compute(ctx, o, asOf, false, out)
	if err != nil {
		return err
	}
	first := time.Since(began)
	fmt.Fprintf(out, "first build: %s (%d lines, %d orders counted; %d lists written)\n", first.Round(time.Millisecond), c.Lines, c.Orders, p.Written)

	newOrders := max(1, o.Batch/3)
	batch, err := e.load(ctx, products, orders, newOrders, asOf.Add(time.Minute), 0, out)
	if err != nil {
		return err
	}
	began = time.Now()
	c, p, err = e.compute(ctx, o, asOf.Add(time.Hour), false, out)
	if err != nil {
		return err
	}
	inc := time.Since(began)
	fmt.Fprintf(out, "incremental run after %d new sales: %s (%d lines, %d orders counted; %d lists written, %d removed)\n",
		batch, inc.Round(time.Millisecond), c.Lines, c.Orders, p.Written, p.Removed)
	var size string
	if err := e.pool.QueryRow(ctx, `SELECT pg_size_pretty(pg_total_relation_size('recs_orders') + pg_total_relation_size('recs_pairs') +
		pg_total_relation_size('recs_items'))`).Scan(&size); err != nil {
		return err
	}
	fmt.Fprintf(out, "summary: facts=%d load=%s first_build=%s incremental(%d new)=%s counts_size=%s\n",
		written, load.Round(time.Millisecond), first.Round(time.Millisecond), batch, inc.Round(time.Millisecond), size)
	return nil
}

// load writes orders [from, from+n) straight into sales_facts (the trigger queues them for the
// job as it does every path's sales), spread over the days before asOf (0: all at asOf). Half
// of each order's lines come from a bundle of 5 products, the rest from a skewed choice over
// the catalog, so lists have structure and bestsellers to resist.
func (e env) load(ctx context.Context, products []int64, from, n int, asOf time.Time, days int, out io.Writer) (int64, error) {
	var written int64
	for done := 0; done < n; done += loadChunk {
		k := min(loadChunk, n-done)
		tag, err := e.pool.Exec(ctx, `
			INSERT INTO sales_facts (source, external_order_id, line_no, ordered_at, product_id, seller_id, category_id,
			                         quantity, unit_price_cents, currency)
			SELECT 'bench', 'o-' || o.g, l.l, $1::timestamptz - o.ago, p.id, p.seller_id, p.category_id, 1, p.price_cents, p.currency
			FROM (SELECT g, make_interval(secs => floor(random() * $2::int * 86400)) AS ago,
			             1 + floor(random() * 5)::int AS lines, floor(random() * cardinality($3::bigint[]) / 5)::int AS bundle
			      FROM generate_series($4::bigint + 1, $4::bigint + $5::bigint) g) o
			CROSS JOIN LATERAL generate_series(1, o.lines) l(l)
			-- WHERE l.l > 0 ties the pick to each line: without it the planner may pick once per order.
			CROSS JOIN LATERAL (SELECT ($3::bigint[])[1 + CASE WHEN random() < 0.5
			                    THEN (o.bundle * 5 + floor(random() * 5)::int) % cardinality($3::bigint[])
			                    ELSE floor(cardinality($3::bigint[]) * random() ^ 3)::int END] AS id WHERE l.l > 0) pick
			JOIN products p ON p.id = pick.id`,
			asOf, days, products, from+done, k)
		if err != nil {
			return written, fmt.Errorf("load orders %d..%d: %w", from+done, from+done+k, err)
		}
		written += tag.RowsAffected()
		fmt.Fprintf(out, "\r  loading: %d sales", written)
	}
	fmt.Fprintln(out)
	if _, err := e.pool.Exec(ctx, `ANALYZE sales_facts; ANALYZE recs_pending; ANALYZE products; ANALYZE inventory`); err != nil {
		return written, fmt.Errorf("analyze: %w", err)
	}
	return written, nil
}
