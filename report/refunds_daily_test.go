package report_test

import (
	"context"
	"strconv"
	"testing"

	"shopflow/report"
)

// TestDailyRefundsFromRefundLines: a refund that succeeded on the day counts its lines (units
// at their price less their discount share), once, even when the order's 'refunded' event is
// on the same day; the legacy whole-order refund of seedDay still counts.
func TestDailyRefundsFromRefundLines(t *testing.T) {
	pool, shop := seedDay(t)
	ctx := context.Background()
	product := shop.Products[0]
	if _, err := pool.Exec(ctx, `
		WITH o AS (INSERT INTO orders (customer_id, status, currency, total_cents, subtotal_cents, discount_cents, created_at)
		           SELECT id, 'refunded', 'USD', 560, 600, 40, '2026-11-19 11:00Z' FROM users WHERE email = 'buyer@example.com' RETURNING id),
		i AS (INSERT INTO order_items (order_id, line_no, product_id, seller_id, quantity, unit_price_cents, currency, discount_cents, refunded_quantity)
		      SELECT o.id, 1, p.id, p.seller_id, 2, 300, 'USD', 40, 2 FROM o, products p WHERE p.id = $1 RETURNING order_id),
		r AS (INSERT INTO refunds (order_id, kind, status, amount_cents, currency, key, succeeded_at)
		      SELECT order_id, 'cancel', 'succeeded', 560, 'USD', 'cancel:report-test', '2026-11-20 09:00Z' FROM i RETURNING id, order_id),
		e AS (INSERT INTO order_events (order_id, status, created_at) SELECT order_id, 'refunded', '2026-11-20 09:00Z' FROM r RETURNING 1)
		INSERT INTO refund_lines (refund_id, order_id, line_no, product_id, seller_id, category_id, currency, quantity,
		                          unit_price_cents, discount_cents, tax_cents, amount_cents)
		SELECT r.id, r.order_id, 1, p.id, p.seller_id, p.category_id, 'USD', 2, 300, 20 * 2, 0, 560 FROM r, products p WHERE p.id = $1`,
		product); err != nil {
		t.Fatal(err)
	}
	var want int64 // independently: the order's lines, refunded units at price less discount
	if err := pool.QueryRow(ctx, `SELECT sum(i.refunded_quantity * i.unit_price_cents - i.discount_cents) FROM order_items i
		JOIN orders o ON o.id = i.order_id WHERE i.product_id = $1 AND o.status = 'refunded'`, product).Scan(&want); err != nil {
		t.Fatal(err)
	}
	st := report.Local{Dir: t.TempDir()}
	build(t, pool, st)
	var got int64
	for _, rec := range readCSV(t, readAll(t, st, report.DayPath(testDate, "platform.csv"))) {
		if rec[3] == strconv.FormatInt(product, 10) {
			n, _ := strconv.ParseInt(rec[11], 10, 64)
			got += n
		}
	}
	if got != want || want != 560 {
		t.Errorf("refunds of product %d: %d, want %d (560)", product, got, want)
	}
}
