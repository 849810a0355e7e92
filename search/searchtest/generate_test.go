package searchtest_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/search/searchtest"
	"shopflow/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

// A seed always makes the same catalog, so a failing relevance test can be rerun as it was.
func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var names [2][]string
	var cats [2]searchtest.Catalog
	for i := range 2 {
		pool := storetest.NewPool(t)
		cat, err := searchtest.Generate(ctx, pool, searchtest.Spec{Products: 500, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		cats[i] = cat
		names[i] = column(t, pool, `SELECT name || '|' || price_cents || '|' || attributes::text FROM products ORDER BY id`)
	}
	if !slices.Equal(names[0], names[1]) {
		t.Fatal("two catalogs from seed 42 differ")
	}
	if !slices.Equal(cats[0].Queries(50), cats[1].Queries(50)) {
		t.Fatal("two catalogs from seed 42 give different queries")
	}
	if cats[0].Products != 503 {
		t.Fatalf("Products = %d, want 500 generated and 3 anchors", cats[0].Products)
	}
}

// The catalog has what the relevance checks lean on: a tree with descendants, products out of
// stock, in every price bucket, in other statuses, with array attributes, and distinct queries.
func TestGenerateShape(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	start := time.Now()
	cat, err := searchtest.Generate(ctx, pool, searchtest.Spec{Products: 5000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d products in %v", cat.Products, time.Since(start))
	checks := map[string]string{
		"products in a grandchild of Electronics": `SELECT count(*) FROM products p JOIN categories c ON c.id = p.category_id
			JOIN categories m ON m.id = c.parent_id WHERE m.parent_id = (SELECT id FROM categories WHERE name = 'Electronics')`,
		"out of stock":         `SELECT count(*) FROM inventory WHERE on_hand - reserved <= 0`,
		"fully reserved":       `SELECT count(*) FROM inventory WHERE on_hand > 0 AND on_hand = reserved`,
		"not active":           `SELECT count(*) FROM products WHERE status <> 'active'`,
		"array colors":         `SELECT count(*) FROM products WHERE jsonb_typeof(attributes->'color') = 'array'`,
		"priced on a bound":    `SELECT count(*) FROM products WHERE price_cents = ANY('{1000,2500,5000,10000,25000,50000,100000}')`,
		"without stats":        `SELECT count(*) FROM products p WHERE NOT EXISTS (SELECT 1 FROM product_search_stats s WHERE s.product_id = p.id)`,
		"laptop in vocabulary": `SELECT count(*) FROM search_terms WHERE term = 'laptop'`,
	}
	for name, sql := range checks {
		var n int
		if err := pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n == 0 {
			t.Errorf("catalog has no rows for %q", name)
		}
	}
	buckets := column(t, pool, `SELECT DISTINCT width_bucket(price_cents, '{0,1000,2500,5000,10000,25000,50000,100000}'::bigint[])::text FROM products`)
	if len(buckets) != 8 {
		t.Errorf("prices fall in buckets %v, want all 8", buckets)
	}
	if q := cat.Queries(300); len(q) != 300 {
		t.Errorf("Queries(300) gave %d distinct queries", len(q))
	}
	if !slices.Contains(cat.Words, "laptop") || cat.Categories["Laptops"] == 0 || len(cat.Sellers) != 25 {
		t.Errorf("catalog lacks laptop words, the Laptops category or its sellers: %d words, %d sellers", len(cat.Words), len(cat.Sellers))
	}
}

func column(t *testing.T, pool *pgxpool.Pool, sql string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}
