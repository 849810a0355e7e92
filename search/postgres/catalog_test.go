package postgres

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/search/searchtest"
	"shopflow/store/storetest"
)

func smallCatalog(t *testing.T) (*pgxpool.Pool, searchtest.Catalog) {
	t.Helper()
	pool := storetest.NewPool(t)
	cat, err := searchtest.Generate(context.Background(), pool, searchtest.Spec{Products: 300, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	return pool, cat
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	return n
}

// A document holds its category's path up to the root, attributes as strings, its stock and
// stats; inactive products are documents too, and ids without a product are skipped.
func TestDocuments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, cat := smallCatalog(t)
	c := &Catalog{Pool: pool}
	id := cat.Anchors.ExactName
	exec(t, pool, `UPDATE products SET attributes = '{"brand": "Kestrel", "size": 42, "ports": ["usb-c", "hdmi"], "wireless": true, "spec": {"x": 1}}' WHERE id = $1`, id)
	exec(t, pool, `INSERT INTO product_search_stats (product_id, units_sold, rating_avg, rating_count) VALUES ($1, 7, 4.5, 12)`, id)
	var draft int64
	if err := pool.QueryRow(ctx, `UPDATE products SET status = 'draft' WHERE id = (SELECT min(id) FROM products) RETURNING id`).Scan(&draft); err != nil {
		t.Fatal(err)
	}
	docs, err := c.Documents(ctx, []int64{id, draft, 999999999})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].ID != draft || docs[1].ID != id || docs[0].Status != "draft" {
		t.Fatalf("documents %+v, want the draft %d then %d", docs, draft, id)
	}
	d := docs[1]
	wantPath := []int64{cat.Categories["Headphones"], cat.Categories["Audio"], cat.Categories["Electronics"]}
	if !slices.Equal(d.CategoryPath, wantPath) || !slices.Equal(d.CategoryNames, []string{"Headphones", "Audio", "Electronics"}) ||
		d.CategoryName != "Headphones" || d.CategoryID != wantPath[0] {
		t.Errorf("category %d %q path %v %v, want %v Headphones < Audio < Electronics", d.CategoryID, d.CategoryName, d.CategoryPath, d.CategoryNames, wantPath)
	}
	wantAttrs := map[string][]string{"brand": {"Kestrel"}, "size": {"42"}, "ports": {"usb-c", "hdmi"}, "wireless": {"true"}}
	if len(d.Attributes) != len(wantAttrs) {
		t.Errorf("attributes %v, want %v", d.Attributes, wantAttrs)
	}
	for k, v := range wantAttrs {
		if !slices.Equal(d.Attributes[k], v) {
			t.Errorf("attribute %s = %v, want %v", k, d.Attributes[k], v)
		}
	}
	if d.Name != "Kestrel Headphones" || d.StoreName == "" || d.SellerID != cat.Sellers[0] || !d.InStock || d.UnitsSold != 7 ||
		d.RatingAvg == nil || *d.RatingAvg != 4.5 || d.RatingCount != 12 || d.Currency != "USD" || d.PriceCents != 12999 || d.Version == 0 {
		t.Errorf("document %+v", d)
	}
}

// A read after a committed write carries a higher version than a read before it.
func TestDocumentVersionGrows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, cat := smallCatalog(t)
	c := &Catalog{Pool: pool}
	id := cat.Anchors.NameContains
	before, err := c.Documents(ctx, []int64{id})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, pool, `UPDATE products SET price_cents = price_cents + 100 WHERE id = $1`, id)
	after, err := c.Documents(ctx, []int64{id})
	if err != nil {
		t.Fatal(err)
	}
	if after[0].Version <= before[0].Version || after[0].PriceCents != before[0].PriceCents+100 {
		t.Errorf("version %d then %d around a price change %d -> %d", before[0].Version, after[0].Version, before[0].PriceCents, after[0].PriceCents)
	}
}

// Chunks walk every product once, in id order, and add up to Count.
func TestChunkAndCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, cat := smallCatalog(t)
	c := &Catalog{Pool: pool}
	n, err := c.Count(ctx)
	if err != nil || n != int64(cat.Products) {
		t.Fatalf("Count = %d, %v; want %d", n, err, cat.Products)
	}
	var ids []int64
	for after := int64(0); ; {
		docs, err := c.Chunk(ctx, after, 64)
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) == 0 {
			break
		}
		for _, d := range docs {
			ids = append(ids, d.ID)
		}
		after = docs[len(docs)-1].ID
	}
	if int64(len(ids)) != n || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("chunks hold %d ids (sorted %v), want %d distinct", len(ids), slices.IsSorted(ids), n)
	}
}

// A new word is offered as a correction once the vocabulary is refreshed.
func TestRefreshTerms(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, cat := smallCatalog(t)
	exec(t, pool, `UPDATE products SET name = 'Zorblax speaker' WHERE id = $1`, cat.Anchors.NameContains)
	terms := func() int64 { return count(t, pool, `SELECT count(*) FROM search_terms WHERE term = 'zorblax'`) }
	if terms() != 0 {
		t.Fatal("zorblax is a term before the refresh")
	}
	if err := (&Catalog{Pool: pool}).RefreshTerms(ctx); err != nil {
		t.Fatal(err)
	}
	if terms() != 1 {
		t.Fatal("zorblax is not a term after the refresh")
	}
	res, err := (&Searcher{Pool: pool}).Search(ctx, searchQuery("zorblx"))
	if err != nil || res.DidYouMean != "zorblax" || res.Total != 1 {
		t.Errorf("zorblx: %+v, %v; want zorblax found", res, err)
	}
}

// UpdateSales writes only the rows whose units change, each queuing one index change.
func TestUpdateSales(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := smallCatalog(t)
	c := &Catalog{Pool: pool}
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	rows, err := pool.Query(ctx, `SELECT id FROM products ORDER BY id LIMIT 5`)
	if err != nil {
		t.Fatal(err)
	}
	var p []int64
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		p = append(p, id)
	}
	// p0 sells 5 (had 1), p1 sells 3 (had 3), p2 sells 4 (no row), p3 sold before the window
	// only (had 9), p4 sells nothing (had 2); a sale of a product that does not exist is ignored.
	exec(t, pool, `DELETE FROM product_search_stats`)
	exec(t, pool, `INSERT INTO product_search_stats (product_id, units_sold) VALUES ($1, 1), ($2, 3), ($3, 9), ($4, 2)`, p[0], p[1], p[3], p[4])
	for _, s := range []struct {
		product int64
		hour    time.Time
		units   int
	}{{p[0], from, 2}, {p[0], from.Add(5 * time.Hour), 3}, {p[1], from.Add(time.Hour), 3}, {p[2], to.Add(-time.Hour), 4},
		{p[3], from.Add(-time.Hour), 6}, {p[2], to, 50}, {999999999, from, 8}} {
		exec(t, pool, `INSERT INTO sales_hourly (hour, product_id, currency, category_id, seller_id, units, revenue_cents, lines)
			SELECT $1, $2, 'USD', (SELECT min(id) FROM categories), (SELECT min(id::text)::uuid FROM sellers), $3, 100, 1`, s.hour, s.product, s.units)
	}
	queued := func() int64 { return count(t, pool, `SELECT count(*) FROM search_changes WHERE reason = 'stats'`) }
	before := queued()
	changed, err := c.UpdateSales(ctx, from, to)
	if err != nil || changed != 4 {
		t.Fatalf("UpdateSales changed %d, %v; want 4 (p0, p2, p3, p4)", changed, err)
	}
	if q := queued() - before; q != 4 {
		t.Errorf("%d index changes queued, want 4", q)
	}
	want := map[int64]int64{p[0]: 5, p[1]: 3, p[2]: 4, p[3]: 0, p[4]: 0}
	for id, units := range want {
		if got := count(t, pool, `SELECT units_sold FROM product_search_stats WHERE product_id = $1`, id); got != units {
			t.Errorf("product %d units_sold %d, want %d", id, got, units)
		}
	}
	if changed, err := c.UpdateSales(ctx, from, to); err != nil || changed != 0 || queued()-before != 4 {
		t.Errorf("second run changed %d (%v) and queued %d in all; want 0 and still 4", changed, err, queued()-before)
	}
}
