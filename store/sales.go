package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Sales are counted once per order line, whichever path reports them first: our checkout
// (source "shopflow"), the ingest API, or a batch file. Every path goes through countSalesOf, which
// in one statement claims the lines' keys in sale_keys, writes the new ones to sales_facts, and
// adds them to the hourly rollups: sales_hourly (ranking, analytics) and the analytics rollups
// (analytics_rollup.go).

// saleColumns are the columns a sales source query must yield, in this order.
const saleColumns = `source, external_order_id, line_no, ordered_at, product_id, seller_id, category_id, quantity, unit_price_cents, currency,
	discount_cents, tax_cents`

// countSalesOf counts the lines yielded by sourceSQL (a SELECT of saleColumns) that were not
// counted before, and returns how many it counted. Lines repeated within the source count once;
// unique says the source yields each key at most once (the caller checked), so neither insert
// needs DISTINCT ON and its sort.
func countSalesOf(ctx context.Context, tx pgx.Tx, unique bool, sourceSQL string, args ...any) (int64, error) {
	var counted int64
	if err := tx.QueryRow(ctx, countSalesSQL(unique, sourceSQL), args...).Scan(&counted); err != nil {
		return 0, fmt.Errorf("count sales: %w", err)
	}
	return counted, nil
}

// countSalesSQL is the statement countSalesOf runs: it answers with the number of lines counted.
func countSalesSQL(unique bool, sourceSQL string) string {
	claim := `SELECT DISTINCT ON (source, external_order_id, line_no) source, external_order_id, line_no, ordered_at
			FROM src ORDER BY source, external_order_id, line_no`
	fact := `SELECT DISTINCT ON (s.source, s.external_order_id, s.line_no) s.source, s.external_order_id, s.line_no, s.ordered_at,
			       s.product_id, s.seller_id, s.category_id, s.quantity, s.unit_price_cents, s.currency, s.discount_cents, s.tax_cents
			FROM src s JOIN claimed c USING (source, external_order_id, line_no)
			ORDER BY s.source, s.external_order_id, s.line_no`
	if unique {
		claim = `SELECT source, external_order_id, line_no, ordered_at FROM src`
		fact = `SELECT s.source, s.external_order_id, s.line_no, s.ordered_at,
			       s.product_id, s.seller_id, s.category_id, s.quantity, s.unit_price_cents, s.currency, s.discount_cents, s.tax_cents
			FROM src s JOIN claimed c USING (source, external_order_id, line_no)`
	}
	return `
		WITH src AS (` + sourceSQL + `),
		claimed AS (
			INSERT INTO sale_keys (source, external_order_id, line_no, ordered_at)
			` + claim + `
			ON CONFLICT DO NOTHING
			RETURNING source, external_order_id, line_no),
		facts AS (
			INSERT INTO sales_facts (` + saleColumns + `)
			` + fact + `
			RETURNING source, external_order_id, date_trunc('hour', ordered_at) AS hour, product_id, currency, category_id, seller_id,
			          quantity, unit_price_cents, discount_cents),
		` + orderKeysSQL + `,
		rolled AS (
			-- Rows are upserted in key order so concurrent counts never deadlock on the rollup.
			INSERT INTO sales_hourly AS h (hour, product_id, currency, category_id, seller_id, units, revenue_cents, lines, orders, discount_cents)
			SELECT f.hour, f.product_id, f.currency, f.category_id, f.seller_id, f.units, f.revenue, f.lines, coalesce(o.n, 0), f.discount
			FROM (SELECT hour, product_id, currency, min(category_id) AS category_id, min(seller_id::text)::uuid AS seller_id,
			             sum(quantity) AS units, least(sum(quantity::numeric * unit_price_cents), ` + maxCents + `)::bigint AS revenue,
			             count(*) AS lines, least(sum(discount_cents), ` + maxCents + `)::bigint AS discount
			      FROM facts GROUP BY 1, 2, 3) f
			LEFT JOIN (SELECT hour, product_id, currency, count(*) AS n FROM product_orders GROUP BY 1, 2, 3) o
			       USING (hour, product_id, currency)
			ORDER BY 1, 2, 3
			ON CONFLICT (hour, product_id, currency) DO UPDATE
			SET units = h.units + EXCLUDED.units,
			    revenue_cents = least(h.revenue_cents::numeric + EXCLUDED.revenue_cents, ` + maxCents + `)::bigint,
			    lines = h.lines + EXCLUDED.lines,
			    orders = h.orders + EXCLUDED.orders,
			    discount_cents = least(h.discount_cents::numeric + EXCLUDED.discount_cents, ` + maxCents + `)::bigint
			RETURNING 1),
		` + sellerRollupSQL + `
		SELECT count(*) FROM facts`
}

// maxCents is the largest revenue an hourly rollup holds. Totals saturate there instead of
// failing: an overflow would refuse every later sale of the product in that hour, checkout
// included, and a batch of extreme (but each valid) ingest lines could cause it on purpose.
const maxCents = "9223372036854775807"

// orderSalesSQL counts a placed order's ($1) lines as sales (source "shopflow").
var orderSalesSQL = countSalesSQL(false, `
	SELECT 'shopflow'::text AS source, o.id::text AS external_order_id, oi.line_no, o.created_at AS ordered_at,
	       oi.product_id, oi.seller_id, p.category_id, oi.quantity, oi.unit_price_cents, oi.currency,
	       oi.discount_cents, oi.tax_cents
	FROM orders o JOIN order_items oi ON oi.order_id = o.id JOIN products p ON p.id = oi.product_id
	WHERE o.id = $1`)

// SaleLine is one order line reported as sold by an outside source. Seller and category come
// from the product.
type SaleLine struct {
	Source          string
	ExternalOrderID string
	LineNo          int
	OrderedAt       time.Time
	ProductID       int64
	Quantity        int
	UnitPriceCents  int64
	Currency        string
}

// SalesCount says how many of the lines submitted were counted now and how many had been
// counted before (by any path).
type SalesCount struct {
	Counted    int64
	Duplicates int64
}

// RecordSales counts lines once each, in one transaction: lines already counted (by the
// checkout, the ingest API or a file) are duplicates. Products must exist (callers validate).
func (s *Store) RecordSales(ctx context.Context, lines []SaleLine) (SalesCount, error) {
	var res SalesCount
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		counted, err := RecordSalesTx(ctx, tx, lines)
		res = SalesCount{Counted: counted, Duplicates: int64(len(lines)) - counted}
		return err
	})
	if err != nil {
		return SalesCount{}, fmt.Errorf("record %d sale lines: %w", len(lines), classify(err, "sale"))
	}
	return res, nil
}

// RecordSalesTx is RecordSales inside the caller's transaction (batch ingest commits a chunk's
// sales with its progress). Lines go through a temporary staging table with COPY, so a chunk of
// many thousands of lines costs one round trip.
func RecordSalesTx(ctx context.Context, tx pgx.Tx, lines []SaleLine) (int64, error) {
	if len(lines) == 0 {
		return 0, nil
	}
	// countSalesOf sorts the chunk three times (keys, the join, the rollup's groups): with the
	// default 4MB of work_mem, a chunk of 50,000 lines spills every sort to temporary files.
	if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
		return 0, fmt.Errorf("work_mem: %w", err)
	}
	if _, err := tx.Exec(ctx, `
		CREATE TEMPORARY TABLE IF NOT EXISTS sale_staging (
			source text, external_order_id text, line_no integer, ordered_at timestamptz,
			product_id bigint, quantity integer, unit_price_cents bigint, currency text
		) ON COMMIT DELETE ROWS`); err != nil {
		return 0, fmt.Errorf("staging table: %w", err)
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"sale_staging"},
		[]string{"source", "external_order_id", "line_no", "ordered_at", "product_id", "quantity", "unit_price_cents", "currency"},
		pgx.CopyFromSlice(len(lines), func(i int) ([]any, error) {
			l := lines[i]
			return []any{l.Source, l.ExternalOrderID, int32(l.LineNo), l.OrderedAt, l.ProductID, int32(l.Quantity), l.UnitPriceCents, l.Currency}, nil
		}))
	if err != nil {
		return 0, fmt.Errorf("copy sale lines: %w", err)
	}
	counted, err := countSalesOf(ctx, tx, uniqueKeys(lines), `
		SELECT st.source, st.external_order_id, st.line_no, st.ordered_at, st.product_id, p.seller_id, p.category_id,
		       st.quantity, st.unit_price_cents, st.currency::char(3), 0::bigint AS discount_cents, 0::bigint AS tax_cents
		FROM sale_staging st JOIN products p ON p.id = st.product_id`)
	if err != nil {
		return 0, err
	}
	// Rows stay for the rest of the transaction otherwise; a chunk may call this again.
	if _, err := tx.Exec(ctx, `TRUNCATE sale_staging`); err != nil {
		return 0, fmt.Errorf("clear staging: %w", err)
	}
	return counted, nil
}

// uniqueKeys says whether no two lines share a key (source, external order id, line number).
func uniqueKeys(lines []SaleLine) bool {
	type key struct {
		source, order string
		line          int
	}
	seen := make(map[key]struct{}, len(lines))
	for _, l := range lines {
		k := key{l.Source, l.ExternalOrderID, l.LineNo}
		if _, dup := seen[k]; dup {
			return false
		}
		seen[k] = struct{}{}
	}
	return true
}
