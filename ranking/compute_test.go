package ranking_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/ranking"
	"shopflow/store"
	"shopflow/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

// The window every test ranks: six whole hours.
var window = ranking.Window{
	From: time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC),
	To:   time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
}

// shop is a small catalog with a category tree, several sellers and sales counted through
// store.RecordSales (the path that maintains the rollup in production).
//
//	home ── kitchen ── knives ── chef-knives
//	   │        └──── pots
//	   └──── garden
//	books
//	empty ── empty-child
type shop struct {
	pool *pgxpool.Pool
	st   *store.Store
	cat  map[string]int64
	// sellers: a, b sell all over; c and d each sell one product in books, identically.
	seller map[string]string
	prod   map[string]int64
	lines  []store.SaleLine
}

func newShop(t *testing.T) *shop {
	t.Helper()
	pool := storetest.NewPool(t)
	s := &shop{pool: pool, st: store.New(pool), cat: map[string]int64{}, seller: map[string]string{}, prod: map[string]int64{}}
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c", "d"} {
		u, err := s.st.CreateUser(ctx, store.NewUser{Email: name + "@example.com", PasswordHash: "x", Role: store.RoleSeller, StoreName: "Store " + name})
		if err != nil {
			t.Fatal(err)
		}
		s.seller[name] = *u.SellerID
	}
	for _, c := range [][2]string{{"home", ""}, {"kitchen", "home"}, {"knives", "kitchen"}, {"chef-knives", "knives"},
		{"pots", "kitchen"}, {"garden", "home"}, {"books", ""}, {"empty", ""}, {"empty-child", "empty"}} {
		var parent *int64
		if c[1] != "" {
			p := s.cat[c[1]]
			parent = &p
		}
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO categories (name, slug, parent_id) VALUES ($1, $1, $2) RETURNING id`, c[0], parent).
			Scan(&id); err != nil {
			t.Fatal(err)
		}
		s.cat[c[0]] = id
	}
	return s
}

func (s *shop) product(t *testing.T, name, seller, category, currency string, price int64) int64 {
	t.Helper()
	var id int64
	if err := s.pool.QueryRow(context.Background(), `
		INSERT INTO products (seller_id, category_id, name, price_cents, currency) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		s.seller[seller], s.cat[category], name, price, currency).Scan(&id); err != nil {
		t.Fatal(err)
	}
	s.prod[name] = id
	return id
}

// sell queues a sale line of quantity units of product at the given time.
func (s *shop) sell(product string, at time.Time, quantity int, price int64, currency string) {
	s.lines = append(s.lines, store.SaleLine{Source: "test", ExternalOrderID: fmt.Sprintf("o-%d", len(s.lines)+1), LineNo: 1,
		OrderedAt: at, ProductID: s.prod[product], Quantity: quantity, UnitPriceCents: price, Currency: currency})
}

func (s *shop) record(t *testing.T) {
	t.Helper()
	if _, err := s.st.RecordSales(context.Background(), s.lines); err != nil {
		t.Fatal(err)
	}
}

// generatedShop fills the shop with products in every category but the empty ones, random
// sales in and around the window, and the cases the rules single out.
func generatedShop(t *testing.T) *shop {
	t.Helper()
	s := newShop(t)
	rng := rand.New(rand.NewPCG(7, 11))
	type spec struct{ category, currency string }
	specs := []spec{{"home", "USD"}, {"kitchen", "USD"}, {"kitchen", "EUR"}, {"knives", "USD"}, {"chef-knives", "USD"},
		{"chef-knives", "EUR"}, {"pots", "USD"}, {"garden", "USD"}, {"books", "USD"}, {"books", "EUR"}}
	var names []string
	for i := range 40 {
		sp := specs[i%len(specs)]
		name := fmt.Sprintf("p%02d", i)
		s.product(t, name, []string{"a", "b"}[rng.IntN(2)], sp.category, sp.currency, int64(100+rng.IntN(5000)))
		names = append(names, name)
	}
	for range 600 {
		name := names[rng.IntN(len(names))]
		var price int64
		var currency string
		if err := s.pool.QueryRow(context.Background(), `SELECT price_cents, currency FROM products WHERE id = $1`, s.prod[name]).
			Scan(&price, &currency); err != nil {
			t.Fatal(err)
		}
		// From two hours before the window to two hours after it.
		at := window.From.Add(-2 * time.Hour).Add(time.Duration(rng.Int64N(int64(10 * time.Hour))))
		s.sell(name, at, 1+rng.IntN(6), price+int64(rng.IntN(3))*10, currency) // prices drift a little
	}

	// Ties: t1 and t2 (sellers c and d) sell exactly alike; t3 sells as many units for more.
	s.product(t, "t1", "c", "books", "USD", 500)
	s.product(t, "t2", "d", "books", "USD", 500)
	s.product(t, "t3", "a", "books", "USD", 700)
	for _, p := range []string{"t1", "t2"} {
		s.sell(p, window.From.Add(90*time.Minute), 200, 500, "USD")
	}
	s.sell("t3", window.From.Add(3*time.Hour), 200, 700, "USD")
	// A product sold in another currency than its own: units count, revenue does not.
	s.product(t, "fx", "b", "garden", "USD", 1000)
	s.sell("fx", window.From.Add(time.Hour), 50, 1000, "USD")
	s.sell("fx", window.From.Add(2*time.Hour), 30, 900, "GBP")
	// Deep in the tree: must lead home, kitchen and knives as well as chef-knives.
	s.product(t, "deep", "b", "chef-knives", "EUR", 2000)
	s.sell("deep", window.From.Add(4*time.Hour), 500, 2000, "EUR")
	// Boundaries: the first instant of the window counts, the end of the window does not.
	s.product(t, "edge", "a", "pots", "USD", 100)
	s.sell("edge", window.From, 7, 100, "USD")
	s.sell("edge", window.To, 1000, 100, "USD")
	s.sell("edge", window.To.Add(-time.Microsecond), 3, 100, "USD")
	s.record(t)
	return s
}

// TestComputeMatchesRawFacts checks Compute, which reads the hourly rollup, against an
// independent computation over the raw sales facts: categories walked upwards instead of
// downwards, ranks counted by self-join instead of window functions.
func TestComputeMatchesRawFacts(t *testing.T) {
	t.Parallel()
	s := generatedShop(t)
	ctx := context.Background()
	const n = 5
	got, err := ranking.Compute(ctx, s.pool, window, n)
	if err != nil {
		t.Fatal(err)
	}
	if got.Window != window || got.GeneratedAt.IsZero() {
		t.Errorf("window %+v generated %v", got.Window, got.GeneratedAt)
	}
	want := expectedFromFacts(t, s.pool, window, n)
	if len(got.Categories) != len(s.cat) {
		t.Fatalf("%d categories ranked, want every one of %d", len(got.Categories), len(s.cat))
	}
	for _, c := range got.Categories {
		if w := want.products[c.CategoryID]; !reflect.DeepEqual(c.Products, w) && !(len(c.Products) == 0 && len(w) == 0) {
			t.Errorf("category %d:\n got %s\nwant %s", c.CategoryID, products(c.Products), products(w))
		}
	}
	if !reflect.DeepEqual(got.Sellers, want.sellers) {
		t.Errorf("sellers:\n got %+v\nwant %+v", got.Sellers, want.sellers)
	}
	if got.RankedSellers != 4 {
		t.Errorf("%d sellers ranked, want 4", got.RankedSellers)
	}

	// The rules, stated once more by hand, so both computations cannot share a mistake.
	top := func(category string) []ranking.Product {
		for _, c := range got.Categories {
			if c.CategoryID == s.cat[category] {
				return c.Products
			}
		}
		t.Fatalf("no ranking for category %s", category)
		return nil
	}
	for _, c := range []string{"home", "kitchen", "knives", "chef-knives"} {
		if p := top(c); len(p) == 0 || p[0].ProductID != s.prod["deep"] || p[0].Units != 500 || p[0].Currency != "EUR" {
			t.Errorf("%s: top %s, want deep (500 units, EUR) from chef-knives", c, products(p))
		}
	}
	if p := top("empty"); len(p) != 0 || p == nil {
		t.Errorf("empty: %#v, want an empty list", p)
	}
	books := top("books")
	if len(books) != n {
		t.Fatalf("books: %d products, want the top %d", len(books), n)
	}
	first, second := s.prod["t1"], s.prod["t2"]
	if books[0].ProductID != s.prod["t3"] || books[1].ProductID != first || books[2].ProductID != second {
		t.Errorf("books: %s, want t3 (more revenue) then t1 and t2 (equal: by id)", products(books))
	}
	for _, p := range top("garden") {
		if p.ProductID == s.prod["fx"] && (p.Units != 80 || p.RevenueCents != 50*1000 || p.Currency != "USD") {
			t.Errorf("fx: %+v, want 80 units and only its USD revenue 50000", p)
		}
	}
	for _, p := range top("pots") {
		if p.ProductID == s.prod["edge"] && p.Units != 10 {
			t.Errorf("edge: %d units, want 10 (from the window's first instant, not its end)", p.Units)
		}
	}
	var c, d ranking.SellerRanking
	for _, sr := range got.Sellers {
		switch sr.SellerID {
		case s.seller["c"]:
			c = sr
		case s.seller["d"]:
			d = sr
		}
	}
	if c.Overall.Units != 200 || d.Overall.Units != 200 || (c.Overall.Rank < d.Overall.Rank) != (c.SellerID < d.SellerID) {
		t.Errorf("tied sellers c %+v and d %+v: equal units, ranked by id", c.Overall, d.Overall)
	}
	if len(c.Categories) != 1 || c.Categories[0].CategoryID != s.cat["books"] || c.Categories[0].Of != 4 {
		t.Errorf("seller c's categories %+v, want books only, among 4 sellers", c.Categories)
	}
}

// TestComputeOneCategoryOrSellerMatchesCompute: the readers' fallbacks agree with the full run.
func TestComputeOneCategoryOrSellerMatchesCompute(t *testing.T) {
	t.Parallel()
	s := generatedShop(t)
	ctx := context.Background()
	all, err := ranking.Compute(ctx, s.pool, window, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all.Categories {
		one, at, err := ranking.ComputeCategory(ctx, s.pool, window, 3, c.CategoryID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one, c) || at.IsZero() {
			t.Errorf("category %d alone: %s, in the full run %s", c.CategoryID, products(one.Products), products(c.Products))
		}
	}
	for _, want := range all.Sellers {
		got, ranked, _, err := ranking.ComputeSeller(ctx, s.pool, window, want.SellerID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || ranked != all.RankedSellers {
			t.Errorf("seller alone: %+v of %d, in the full run %+v of %d", got, ranked, want, all.RankedSellers)
		}
	}
	quiet, err := s.st.CreateUser(ctx, store.NewUser{Email: "quiet@example.com", PasswordHash: "x", Role: store.RoleSeller, StoreName: "Quiet"})
	if err != nil {
		t.Fatal(err)
	}
	got, ranked, _, err := ranking.ComputeSeller(ctx, s.pool, window, *quiet.SellerID)
	if err != nil || got.Overall.Rank != 0 || len(got.Categories) != 0 || ranked != all.RankedSellers {
		t.Errorf("a seller without sales: %+v of %d (%v), want no rank among %d", got, ranked, err, all.RankedSellers)
	}
	doc := got.Document(window, time.Now(), ranked)
	if doc.Overall.Rank != nil || doc.Overall.Currency != nil || doc.Categories == nil || doc.Overall.Of != all.RankedSellers {
		t.Errorf("its document %+v, want rank and currency null, categories empty, of %d", doc, all.RankedSellers)
	}
	if _, _, _, err := ranking.ComputeSeller(ctx, s.pool, window, "00000000-0000-0000-0000-000000000001"); !errors.Is(err, ranking.ErrUnknownSeller) {
		t.Errorf("unknown seller: %v, want ErrUnknownSeller", err)
	}
}

// expected is the independent computation's answer.
type expected struct {
	products map[int64][]ranking.Product
	sellers  []ranking.SellerRanking
}

func expectedFromFacts(t *testing.T, pool *pgxpool.Pool, w ranking.Window, n int) expected {
	t.Helper()
	ctx := context.Background()
	const ancestors = `
		WITH RECURSIVE up (category_id, ancestor) AS (
			SELECT id, id FROM categories
		  UNION ALL
			SELECT u.category_id, c.parent_id FROM up u JOIN categories c ON c.id = u.ancestor WHERE c.parent_id IS NOT NULL
		),
		f AS (SELECT * FROM sales_facts WHERE ordered_at >= $1 AND ordered_at < $2)`
	rows, err := pool.Query(ctx, ancestors+`,
		agg AS (
			SELECT u.ancestor AS category_id, f.product_id, sum(f.quantity)::bigint AS units,
			       coalesce(sum(f.quantity * f.unit_price_cents) FILTER (WHERE f.currency = p.currency), 0)::bigint AS revenue
			FROM f JOIN up u ON u.category_id = f.category_id JOIN products p ON p.id = f.product_id
			GROUP BY u.ancestor, f.product_id)
		SELECT * FROM (
			SELECT a.category_id,
			       1 + (SELECT count(*) FROM agg b WHERE b.category_id = a.category_id AND (b.units > a.units
			            OR b.units = a.units AND (b.revenue > a.revenue OR b.revenue = a.revenue AND b.product_id < a.product_id)))::int AS rank,
			       a.product_id, p.name, a.units, a.revenue, p.currency::text
			FROM agg a JOIN products p ON p.id = a.product_id) r
		WHERE rank <= $3 ORDER BY category_id, rank`, w.From, w.To, n)
	if err != nil {
		t.Fatal(err)
	}
	want := expected{products: map[int64][]ranking.Product{}}
	var cat int64
	var p ranking.Product
	if _, err := pgx.ForEachRow(rows, []any{&cat, &p.Rank, &p.ProductID, &p.Name, &p.Units, &p.RevenueCents, &p.Currency}, func() error {
		want.products[cat] = append(want.products[cat], p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	rows, err = pool.Query(ctx, ancestors+`,
		per_currency AS (
			SELECT 0::bigint AS scope, seller_id, currency, sum(quantity)::bigint AS units, sum(quantity * unit_price_cents)::bigint AS revenue
			FROM f GROUP BY seller_id, currency
		  UNION ALL
			SELECT u.ancestor, f.seller_id, f.currency, sum(f.quantity), sum(f.quantity * f.unit_price_cents)
			FROM f JOIN up u ON u.category_id = f.category_id GROUP BY 1, 2, 3),
		dominant AS (
			SELECT * FROM per_currency a WHERE NOT EXISTS (
				SELECT 1 FROM per_currency b WHERE b.scope = a.scope AND b.seller_id = a.seller_id AND (b.units > a.units
				OR b.units = a.units AND (b.revenue > a.revenue OR b.revenue = a.revenue AND b.currency < a.currency)))),
		total AS (
			SELECT d.scope, d.seller_id, d.revenue, d.currency,
			       (SELECT sum(units) FROM per_currency c WHERE c.scope = d.scope AND c.seller_id = d.seller_id)::bigint AS units
			FROM dominant d)
		SELECT a.scope, a.seller_id::text,
		       1 + (SELECT count(*) FROM total b WHERE b.scope = a.scope AND (b.units > a.units
		            OR b.units = a.units AND (b.revenue > a.revenue OR b.revenue = a.revenue AND b.seller_id < a.seller_id)))::int,
		       (SELECT count(*) FROM total b WHERE b.scope = a.scope)::int,
		       a.units, a.revenue, a.currency::text
		FROM total a ORDER BY a.seller_id, a.scope`, w.From, w.To)
	if err != nil {
		t.Fatal(err)
	}
	var scope int64
	var seller string
	var st ranking.Standing
	if _, err := pgx.ForEachRow(rows, []any{&scope, &seller, &st.Rank, &st.Of, &st.Units, &st.RevenueCents, &st.Currency}, func() error {
		if len(want.sellers) == 0 || want.sellers[len(want.sellers)-1].SellerID != seller {
			want.sellers = append(want.sellers, ranking.SellerRanking{SellerID: seller, Categories: []ranking.CategoryStanding{}})
		}
		cur := &want.sellers[len(want.sellers)-1]
		if scope == 0 {
			cur.Overall = st
		} else {
			cur.Categories = append(cur.Categories, ranking.CategoryStanding{CategoryID: scope, Standing: st})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return want
}

func products(ps []ranking.Product) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("#%d %s(%d) %du %d%s", p.Rank, p.Name, p.ProductID, p.Units, p.RevenueCents, p.Currency)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
