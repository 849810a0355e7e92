// Package rankingtest fills a migrated database with a generated shop (a category tree,
// sellers, products and sales) for the tests and the benchmark of top sellers. Sales are
// generated in bulk by Postgres itself, so millions of them take seconds, not hours; the
// hourly rollup is then built from them exactly as migration 00004 builds it.
package rankingtest

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Spec describes the shop to generate.
type Spec struct {
	// Roots root categories, each with Fanout children, down to Depth levels (1: roots only).
	Roots, Fanout, Depth int
	Sellers              int
	Products             int
	// Facts sales lines, spread over the Hours hours that end at End (End excluded). Product
	// popularity is skewed (a few sell a lot), so rankings have a clear top and a long tail.
	Facts int
	Hours int
	End   time.Time
	// Seed makes the generated sales repeatable; Source tags them (sales_facts.source).
	Seed   float64
	Source string
	// Progress, when set, is called after each chunk of sales with how many are written.
	Progress func(written int)
}

// Shop is what Seed made.
type Shop struct {
	Categories []int64 // by level: roots first
	Sellers    []string
	Products   []int64
}

// factChunk is how many sales one statement writes.
const factChunk = 1_000_000

// Seed generates the shop described by spec in the database behind pool.
func Seed(ctx context.Context, pool *pgxpool.Pool, spec Spec) (Shop, error) {
	var shop Shop
	if spec.Source == "" {
		spec.Source = "rankingtest"
	}
	tag := fmt.Sprintf("%s-%d", spec.Source, time.Now().UnixNano())
	var err error
	if shop.Sellers, err = seedSellers(ctx, pool, spec, tag); err != nil {
		return shop, err
	}
	if shop.Categories, err = seedCategories(ctx, pool, spec, tag); err != nil {
		return shop, err
	}
	if len(shop.Categories) == 0 || len(shop.Sellers) == 0 {
		return shop, fmt.Errorf("a shop needs categories and sellers, spec %+v", spec)
	}
	if shop.Products, err = seedProducts(ctx, pool, spec, shop); err != nil {
		return shop, err
	}
	if spec.Facts == 0 {
		return shop, nil
	}
	if spec.Hours < 1 || spec.End.IsZero() {
		return shop, fmt.Errorf("sales need Hours and End, spec %+v", spec)
	}
	return shop, seedSales(ctx, pool, spec, tag, shop.Products)
}

func seedSellers(ctx context.Context, pool *pgxpool.Pool, spec Spec, tag string) ([]string, error) {
	var sellers []string
	if err := pool.QueryRow(ctx, `
		WITH u AS (
			INSERT INTO users (email, password_hash, role, name)
			SELECT 'seller-' || $2 || '-' || g || '@example.com', 'x', 'seller', 'Seller ' || g
			FROM generate_series(1, $1::int) g RETURNING id, name)
		, s AS (INSERT INTO sellers (user_id, store_name) SELECT id, name || ' ' || $2 FROM u RETURNING id)
		SELECT coalesce(array_agg(id::text ORDER BY id), '{}') FROM s`, spec.Sellers, tag).Scan(&sellers); err != nil {
		return nil, fmt.Errorf("seed sellers: %w", err)
	}
	return sellers, nil
}

func seedCategories(ctx context.Context, pool *pgxpool.Pool, spec Spec, tag string) ([]int64, error) {
	var all []int64
	var level []int64
	for depth := 1; depth <= spec.Depth; depth++ {
		var err error
		if depth == 1 {
			err = pool.QueryRow(ctx, `
				WITH c AS (
					INSERT INTO categories (name, slug)
					SELECT 'Category ' || g, 'c-' || $2 || '-r' || g FROM generate_series(1, $1::int) g RETURNING id)
				SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM c`, spec.Roots, slug(tag)).Scan(&level)
		} else {
			err = pool.QueryRow(ctx, `
				WITH c AS (
					INSERT INTO categories (parent_id, name, slug)
					SELECT p, 'Category ' || p || '.' || g, 'c-' || $3 || '-' || p || '-' || g
					FROM unnest($1::bigint[]) p, generate_series(1, $2::int) g RETURNING id)
				SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM c`, level, spec.Fanout, slug(tag)).Scan(&level)
		}
		if err != nil {
			return nil, fmt.Errorf("seed categories of level %d: %w", depth, err)
		}
		all = append(all, level...)
	}
	return all, nil
}

func seedProducts(ctx context.Context, pool *pgxpool.Pool, spec Spec, shop Shop) ([]int64, error) {
	var products []int64
	// Every tenth product is priced in EUR, so categories mix currencies.
	if err := pool.QueryRow(ctx, `
		WITH p AS (
			INSERT INTO products (seller_id, category_id, name, price_cents, currency)
			SELECT ($1::uuid[])[1 + g % cardinality($1::uuid[])], ($2::bigint[])[1 + (g * 7919) % cardinality($2::bigint[])],
			       'Product ' || g, 100 + (g * 37) % 9900, CASE WHEN g % 10 = 0 THEN 'EUR' ELSE 'USD' END
			FROM generate_series(1, $3::int) g RETURNING id)
		SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM p`, shop.Sellers, shop.Categories, spec.Products).Scan(&products); err != nil {
		return nil, fmt.Errorf("seed products: %w", err)
	}
	return products, nil
}

// seedSales writes spec.Facts sales over the products and rolls them up hourly.
func seedSales(ctx context.Context, pool *pgxpool.Pool, spec Spec, tag string, products []int64) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	// setseed applies to this session's random(): the same spec gives the same sales.
	if _, err := conn.Exec(ctx, `SELECT setseed($1)`, spec.Seed); err != nil {
		return fmt.Errorf("seed random: %w", err)
	}
	for written := 0; written < spec.Facts; {
		n := min(factChunk, spec.Facts-written)
		_, err := conn.Exec(ctx, `
			INSERT INTO sales_facts (source, external_order_id, line_no, ordered_at, product_id, seller_id, category_id,
			                         quantity, unit_price_cents, currency)
			SELECT $1, 'o-' || s.g, 1, $2::timestamptz - s.ago, p.id, p.seller_id, p.category_id,
			       s.quantity, p.price_cents, p.currency
			FROM (SELECT g, ($3::bigint[])[1 + floor(cardinality($3::bigint[]) * random() ^ 3)::int] AS product_id,
			             make_interval(secs => 1 + floor(random() * $4::int * 3600 - 1)) AS ago,
			             1 + floor(random() * random() * 5)::int AS quantity
			      FROM generate_series($5::bigint + 1, $5::bigint + $6::bigint) g) s
			JOIN products p ON p.id = s.product_id`,
			tag, spec.End, products, spec.Hours, written, n)
		if err != nil {
			return fmt.Errorf("seed sales %d..%d: %w", written, written+n, err)
		}
		written += n
		if spec.Progress != nil {
			spec.Progress(written)
		}
	}
	// As migration 00004 and store.countSalesOf roll up.
	if _, err := conn.Exec(ctx, `
		INSERT INTO sales_hourly AS h (hour, product_id, currency, category_id, seller_id, units, revenue_cents, lines)
		SELECT date_trunc('hour', ordered_at), product_id, currency, min(category_id), min(seller_id::text)::uuid,
		       sum(quantity), sum(quantity * unit_price_cents), count(*)
		FROM sales_facts WHERE source = $1 GROUP BY 1, 2, 3
		ORDER BY 1, 2, 3 -- hour by hour, as sales arrive: an hour's rows sit together
		ON CONFLICT (hour, product_id, currency) DO UPDATE
		SET units = h.units + EXCLUDED.units, revenue_cents = h.revenue_cents + EXCLUDED.revenue_cents, lines = h.lines + EXCLUDED.lines`,
		tag); err != nil {
		return fmt.Errorf("roll up seeded sales: %w", err)
	}
	if _, err := conn.Exec(ctx, `ANALYZE sales_facts; ANALYZE sales_hourly; ANALYZE products; ANALYZE categories`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// slug makes tag usable in a category slug (lower-case letters, digits, single dashes).
func slug(tag string) string {
	out := make([]byte, 0, len(tag))
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			out = append(out, c)
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		}
	}
	return string(out)
}
