package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// recordOrderSales counts a placed order's lines as sales (source "shopflow"), once: a line
// already counted, by this path or by an ingest of the same order, is skipped.
func recordOrderSales(ctx context.Context, tx pgx.Tx, orderID string) error {
	_, err := tx.Exec(ctx, `
		WITH lines AS (
			SELECT 'shopflow'::text AS source, o.id::text AS external_order_id, oi.line_no, o.created_at AS ordered_at,
			       oi.product_id, oi.seller_id, p.category_id, oi.quantity, oi.unit_price_cents, oi.currency
			FROM orders o JOIN order_items oi ON oi.order_id = o.id JOIN products p ON p.id = oi.product_id
			WHERE o.id = $1),
		counted AS (
			INSERT INTO sale_keys (source, external_order_id, line_no, ordered_at)
			SELECT source, external_order_id, line_no, ordered_at FROM lines
			ON CONFLICT DO NOTHING
			RETURNING source, external_order_id, line_no)
		INSERT INTO sales_facts (source, external_order_id, line_no, ordered_at, product_id, seller_id, category_id, quantity, unit_price_cents, currency)
		SELECT l.source, l.external_order_id, l.line_no, l.ordered_at, l.product_id, l.seller_id, l.category_id, l.quantity, l.unit_price_cents, l.currency
		FROM lines l JOIN counted c USING (source, external_order_id, line_no)`, orderID)
	return err
}
