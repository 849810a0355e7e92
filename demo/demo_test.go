package demo

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"shopflow/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestSeedFillsAnEmptyCatalogOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)

	seeded, err := Seed(ctx, pool, quiet)
	if err != nil {
		t.Fatalf("first Seed: %v", err)
	}
	if !seeded {
		t.Fatal("first Seed on an empty database reported it did nothing")
	}
	first := countRows(t, pool)
	want := counts{users: len(sellers) + len(shoppers), sellers: len(sellers), categories: len(categories), products: len(products), inventory: len(products)}
	if first != want {
		t.Fatalf("after first Seed: got %+v, want %+v", first, want)
	}

	seeded, err = Seed(ctx, pool, quiet)
	if err != nil {
		t.Fatalf("second Seed: %v", err)
	}
	if seeded {
		t.Error("second Seed reported seeding a catalog that already has products")
	}
	if again := countRows(t, pool); again != first {
		t.Errorf("second Seed changed the data: before %+v, after %+v", first, again)
	}
}

func TestSeededCatalogIsUsable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	if _, err := Seed(ctx, pool, quiet); err != nil {
		t.Fatal(err)
	}

	checks := []struct {
		name  string
		query string // counts rows that break the rule
	}{
		{"every product has an inventory row",
			`SELECT count(*) FROM products p LEFT JOIN inventory i ON i.product_id = p.id WHERE i.product_id IS NULL`},
		{"every product is active, priced in USD above zero, with attributes",
			`SELECT count(*) FROM products WHERE status <> 'active' OR currency <> 'USD' OR price_cents <= 0 OR attributes = '{}'`},
		{"every demo seller is a seller user with a store",
			`SELECT count(*) FROM users u LEFT JOIN sellers s ON s.user_id = u.id
			 WHERE u.email LIKE '%@demo.shopflow.local' AND (u.role <> 'seller' OR s.id IS NULL)`},
		{"subcategories hang under their parents",
			`SELECT count(*) FROM categories c JOIN categories p ON p.id = c.parent_id
			 WHERE (c.slug IN ('phones', 'laptops', 'audio') AND p.slug <> 'electronics')
			    OR (c.slug = 'kitchen' AND p.slug <> 'home')`},
	}
	for _, c := range checks {
		var bad int
		if err := pool.QueryRow(ctx, c.query).Scan(&bad); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if bad != 0 {
			t.Errorf("%s: %d rows break it", c.name, bad)
		}
	}

	var sellersWithProducts, lowStock, soldOut, subcategories int
	err := pool.QueryRow(ctx, `
		SELECT (SELECT count(DISTINCT seller_id) FROM products),
		       (SELECT count(*) FROM inventory WHERE on_hand > 0 AND on_hand <= low_stock_threshold),
		       (SELECT count(*) FROM inventory WHERE on_hand = 0),
		       (SELECT count(*) FROM categories WHERE parent_id IS NOT NULL)`).
		Scan(&sellersWithProducts, &lowStock, &soldOut, &subcategories)
	if err != nil {
		t.Fatal(err)
	}
	if sellersWithProducts != len(sellers) {
		t.Errorf("products spread over %d sellers, want all %d", sellersWithProducts, len(sellers))
	}
	if lowStock == 0 || soldOut == 0 {
		t.Errorf("want some low-stock and some sold-out products, got %d low and %d sold out", lowStock, soldOut)
	}
	if subcategories == 0 {
		t.Error("the category tree is flat")
	}
}

// The demo adds no account anyone can log in to: each seller's password is random and unknown.
func TestDemoSellersHaveNoKnownPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	if _, err := Seed(ctx, pool, quiet); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT email, password_hash FROM users WHERE role = 'seller'`)
	if err != nil {
		t.Fatal(err)
	}
	hashes := map[string]bool{}
	for rows.Next() {
		var email, hash string
		if err := rows.Scan(&email, &hash); err != nil {
			t.Fatal(err)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			t.Errorf("%s: password hash is not bcrypt: %v", email, err)
		}
		for _, guess := range []string{"", "password", "demo", "shopflow", "seller", email} {
			if bcrypt.CompareHashAndPassword([]byte(hash), []byte(guess)) == nil {
				t.Errorf("%s: password is the guessable %q", email, guess)
			}
		}
		hashes[hash] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(hashes) != len(sellers) {
		t.Errorf("got %d distinct seller hashes, want %d", len(hashes), len(sellers))
	}
}

// Two dev processes starting on one database at once must seed it once, not twice.
func TestConcurrentSeedsSeedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)

	const callers = 4
	var wg sync.WaitGroup
	results := make([]bool, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() { results[i], errs[i] = Seed(ctx, pool, quiet) })
	}
	wg.Wait()
	seededBy := 0
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if results[i] {
			seededBy++
		}
	}
	if seededBy != 1 {
		t.Errorf("%d callers reported seeding, want exactly 1", seededBy)
	}
	if got := countRows(t, pool).products; got != len(products) {
		t.Errorf("got %d products, want %d", got, len(products))
	}
}

// A database whose products were deleted but whose demo sellers and categories remain is
// seeded again, reusing them, instead of failing on their unique emails and slugs (which would
// stop `shopflow dev` from starting at all).
func TestSeedReusesLeftoverSellersAndCategories(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	if _, err := Seed(ctx, pool, quiet); err != nil {
		t.Fatal(err)
	}
	before := countRows(t, pool)
	// The demo shoppers' orders hold on to the products they bought; they go first.
	if _, err := pool.Exec(ctx, `DELETE FROM orders; DELETE FROM products`); err != nil {
		t.Fatal(err)
	}

	seeded, err := Seed(ctx, pool, quiet)
	if err != nil {
		t.Fatalf("Seed after deleting products: %v", err)
	}
	if !seeded {
		t.Fatal("Seed did not refill an empty catalog")
	}
	if after := countRows(t, pool); after != before {
		t.Errorf("reseed: got %+v, want the same counts as the first seed %+v", after, before)
	}
}

type counts struct{ users, sellers, categories, products, inventory int }

func countRows(t *testing.T, pool *pgxpool.Pool) counts {
	t.Helper()
	var c counts
	err := pool.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM sellers), (SELECT count(*) FROM categories),
		       (SELECT count(*) FROM products), (SELECT count(*) FROM inventory)`).
		Scan(&c.users, &c.sellers, &c.categories, &c.products, &c.inventory)
	if err != nil {
		t.Fatalf("count rows: %v", err)
	}
	return c
}
