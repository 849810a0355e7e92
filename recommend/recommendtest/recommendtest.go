// Package recommendtest fills a migrated database with a catalog for the tests and the
// benchmark of "also bought" lists.
package recommendtest

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// SeedProducts creates a seller, a category and n active products with onHand units each, and
// returns the products' ids in order.
func SeedProducts(ctx context.Context, pool *pgxpool.Pool, n, onHand int) ([]int64, error) {
	tag := fmt.Sprint(time.Now().UnixNano())
	var ids []int64
	err := pool.QueryRow(ctx, `
		WITH u AS (INSERT INTO users (email, password_hash, role) VALUES ('recs-' || $1 || '@example.com', 'x', 'seller') RETURNING id),
		s AS (INSERT INTO sellers (user_id, store_name) SELECT id, 'Recs ' || $1 FROM u RETURNING id),
		c AS (INSERT INTO categories (name, slug) VALUES ('Recs', 'recs-' || $1) RETURNING id),
		p AS (INSERT INTO products (seller_id, category_id, name, price_cents, currency)
		      SELECT s.id, c.id, 'Product ' || g, 100 + g % 900, 'USD' FROM s, c, generate_series(1, $2::int) g RETURNING id),
		i AS (INSERT INTO inventory (product_id, on_hand) SELECT id, $3 FROM p)
		SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM p`, tag, n, onHand).Scan(&ids)
	if err != nil {
		return nil, fmt.Errorf("seed %d products: %w", n, err)
	}
	return ids, nil
}
