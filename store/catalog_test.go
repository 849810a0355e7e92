package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/errs"
	"shopflow/store/storetest"
)

// TestMain is the store package's only one: tests of other store files share it.
func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

// newTestStore is a Store over a fresh database whose pool allows maxConns connections.
func newTestStore(t *testing.T, maxConns int) *Store {
	t.Helper()
	u, err := url.Parse(storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", fmt.Sprint(maxConns))
	u.RawQuery = q.Encode()
	pool, err := pgxpool.New(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return New(pool)
}

// catalogFixture is a seller and a category to hang products on.
type catalogFixture struct {
	st       *Store
	sellerID string
	category Category
}

func newCatalogFixture(t *testing.T, st *Store) catalogFixture {
	t.Helper()
	ctx := context.Background()
	suffix := randomHex(4)
	u, err := st.CreateUser(ctx, NewUser{Email: "s-" + suffix + "@example.com", PasswordHash: "x", Role: RoleSeller, StoreName: "Store " + suffix})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := st.CreateCategory(ctx, NewCategory{Name: "Category " + suffix})
	if err != nil {
		t.Fatal(err)
	}
	return catalogFixture{st: st, sellerID: *u.SellerID, category: cat}
}

func (f catalogFixture) product(t *testing.T, onHand int) Product {
	t.Helper()
	p, err := f.st.CreateProduct(context.Background(), NewProduct{
		SellerID: f.sellerID, CategoryID: f.category.ID, Name: "Widget", PriceCents: 1999, Currency: "EUR", OnHand: onHand,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// reserveSQL is how checkout reserves stock: one conditional UPDATE that takes nothing when
// too little is available.
const reserveSQL = `UPDATE inventory SET reserved = reserved + $2 WHERE product_id = $1 AND on_hand - reserved >= $2`

// TestInventoryConcurrentReserveAndSet hammers one product's stock with reservations and
// restocks at once. Whatever the interleaving, no reservation is lost, reserved stays within
// on_hand, and every refused restock is a conflict that says how much is reserved, never an
// internal error (a CHECK violation escaping as a 500 would fail here).
func TestInventoryConcurrentReserveAndSet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newTestStore(t, 20)
	fx := newCatalogFixture(t, st)
	p := fx.product(t, 12)

	const workers = 50
	var (
		start      = make(chan struct{})
		wg         sync.WaitGroup
		mu         sync.Mutex
		reserved   int // reservations that took a unit
		conflicts  int
		unexpected []error
	)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i%2 == 0 {
				tag, err := st.Pool.Exec(ctx, reserveSQL, p.ID, 1)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					unexpected = append(unexpected, fmt.Errorf("reserve: %w", err))
				case tag.RowsAffected() == 1:
					reserved++
				}
				return
			}
			onHand := (i * 7) % 30 // from 0 to 29: some below what is reserved by then
			_, err := st.SetInventory(ctx, p.ID, onHand, nil)
			mu.Lock()
			defer mu.Unlock()
			var e *errs.Error
			switch {
			case err == nil:
			case errors.As(err, &e) && e.Code == errs.Conflict && e.Details["reserved"] != nil:
				if r, _ := e.Details["reserved"].(int); r <= onHand {
					unexpected = append(unexpected, fmt.Errorf("set on_hand %d refused with reserved %d", onHand, r))
				}
				conflicts++
			default:
				unexpected = append(unexpected, fmt.Errorf("set on_hand %d: code %s: %w", onHand, errs.CodeOf(err), err))
			}
		}()
	}
	close(start)
	wg.Wait()

	for _, err := range unexpected {
		t.Error(err)
	}
	inv, err := st.InventoryOf(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Reserved < 0 || inv.Reserved > inv.OnHand {
		t.Errorf("inventory broke its invariant: on_hand %d, reserved %d", inv.OnHand, inv.Reserved)
	}
	if inv.Reserved != reserved {
		t.Errorf("reserved = %d, but %d reservations succeeded", inv.Reserved, reserved)
	}
	t.Logf("%d reservations, %d refused restocks, final on_hand %d reserved %d", reserved, conflicts, inv.OnHand, inv.Reserved)
}

// TestInventoryCheckRejectsOverReservation proves the last line of defence is there: Postgres
// itself refuses stock states that would oversell, and classify makes that a conflict.
func TestInventoryCheckRejectsOverReservation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newTestStore(t, 4)
	p := newCatalogFixture(t, st).product(t, 5)

	for _, tc := range []struct {
		name, sql string
	}{
		{"reserved above on_hand", `UPDATE inventory SET reserved = on_hand + 1 WHERE product_id = $1`},
		{"negative reserved", `UPDATE inventory SET reserved = -1 WHERE product_id = $1`},
		{"on_hand below reserved", `UPDATE inventory SET reserved = 3, on_hand = 2 WHERE product_id = $1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := st.Pool.Exec(ctx, tc.sql, p.ID)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "23514" || pgErr.ConstraintName != "inventory_reserved_within_on_hand" {
				t.Fatalf("err = %v, want a violation of inventory_reserved_within_on_hand", err)
			}
			if code := errs.CodeOf(classify(err, "inventory")); code != errs.Conflict {
				t.Errorf("classified as %s, want conflict", code)
			}
		})
	}
}

func TestSetInventory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newTestStore(t, 4)
	p := newCatalogFixture(t, st).product(t, 10)
	if _, err := st.Pool.Exec(ctx, reserveSQL, p.ID, 4); err != nil {
		t.Fatal(err)
	}
	threshold := 3

	tests := []struct {
		name      string
		productID int64
		onHand    int
		threshold *int
		wantCode  errs.Code
		wantInv   Inventory // OnHand, Reserved and LowStockThreshold are compared on success
	}{
		{"below reserved is a conflict", p.ID, 3, nil, errs.Conflict, Inventory{}},
		{"equal to reserved is fine", p.ID, 4, nil, "", Inventory{OnHand: 4, Reserved: 4}},
		{"threshold is set when given", p.ID, 9, &threshold, "", Inventory{OnHand: 9, Reserved: 4, LowStockThreshold: 3}},
		{"threshold is kept when absent", p.ID, 8, nil, "", Inventory{OnHand: 8, Reserved: 4, LowStockThreshold: 3}},
		{"unknown product is not found", p.ID + 1000, 1, nil, errs.NotFound, Inventory{}},
	}
	for _, tc := range tests { // sequential: each row builds on the stock the previous left
		inv, err := st.SetInventory(ctx, tc.productID, tc.onHand, tc.threshold)
		if errs.CodeOf(err) != tc.wantCode {
			t.Fatalf("%s: err = %v, want code %q", tc.name, err, tc.wantCode)
		}
		if tc.wantCode == errs.Conflict {
			var e *errs.Error
			if errors.As(err, &e); e.Details["reserved"] != 4 {
				t.Errorf("%s: details = %v, want reserved 4", tc.name, e.Details)
			}
		}
		if err == nil && (inv.OnHand != tc.wantInv.OnHand || inv.Reserved != tc.wantInv.Reserved || inv.LowStockThreshold != tc.wantInv.LowStockThreshold) {
			t.Errorf("%s: inventory = %+v, want %+v", tc.name, inv, tc.wantInv)
		}
	}
}

// TestCreateProductCreatesInventory proves a product never exists without its stock row, and
// that a failed create leaves neither behind.
func TestCreateProductCreatesInventory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newTestStore(t, 4)
	fx := newCatalogFixture(t, st)

	p, err := st.CreateProduct(ctx, NewProduct{SellerID: fx.sellerID, CategoryID: fx.category.ID, Name: "Lamp",
		PriceCents: 4200, Currency: "GBP", OnHand: 7, LowStockThreshold: 2, Attributes: map[string]any{"color": "red"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.ProductByID(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.OnHand != 7 || got.Reserved != 0 || got.LowStockThreshold != 2 || got.Available() != 7 || got.Status != ProductActive ||
		got.StoreName == "" || got.Attributes["color"] != "red" {
		t.Errorf("ProductByID = %+v", got)
	}

	_, err = st.CreateProduct(ctx, NewProduct{SellerID: fx.sellerID, CategoryID: fx.category.ID + 100, Name: "Ghost", Currency: "GBP"})
	if errs.CodeOf(err) != errs.Unprocessable {
		t.Fatalf("unknown category: err = %v, want validation", err)
	}
	var orphans int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM inventory i LEFT JOIN products p ON p.id = i.product_id WHERE p.id IS NULL OR p.name = 'Ghost'`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d inventory rows left behind by a failed create", orphans)
	}
	if _, err := st.ProductByID(ctx, p.ID+100); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("ProductByID(unknown) = %v, want not found", err)
	}
}

// TestConcurrentCategoryMovesNeverMakeACycle makes two moves at once that are each fine alone
// but together close a loop: with A > D and B > C, A goes under C while B goes under D. The
// moves lock different rows, so only the tree lock keeps the second from missing the first.
func TestConcurrentCategoryMovesNeverMakeACycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newTestStore(t, 8)
	newCat := func(name string, parent *int64) int64 {
		c, err := st.CreateCategory(ctx, NewCategory{Name: name, ParentID: parent})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	for round := range 30 {
		a := newCat(fmt.Sprintf("A %d", round), nil)
		d := newCat(fmt.Sprintf("D %d", round), &a)
		b := newCat(fmt.Sprintf("B %d", round), nil)
		c := newCat(fmt.Sprintf("C %d", round), &b)
		start := make(chan struct{})
		results := make([]error, 2)
		var wg sync.WaitGroup
		for i, move := range [][2]int64{{a, c}, {b, d}} {
			wg.Go(func() {
				<-start
				_, results[i] = st.UpdateCategory(ctx, move[0], CategoryUpdate{SetParent: true, ParentID: &move[1]})
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range results {
			switch {
			case err == nil:
				ok++
			case errs.CodeOf(err) != errs.Unprocessable:
				t.Errorf("round %d: move failed with %v, want a validation error", round, err)
			}
		}
		if ok != 1 {
			t.Errorf("round %d: %d moves succeeded (%v), want exactly 1", round, ok, results)
		}
	}
}

func TestSlugify(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, want string }{
		{"Shoes", "shoes"},
		{"  Men's Running Shoes  ", "men-s-running-shoes"},
		{"Café & Crème Brûlée", "cafe-creme-brulee"},
		{"TV / Audio -- 4K", "tv-audio-4k"},
		{"日本", ""},
		{"---", ""},
	}
	for _, tc := range tests {
		if got := Slugify(tc.name); got != tc.want {
			t.Errorf("Slugify(%q) = %q, want %q", tc.name, got, tc.want)
		}
		if tc.want != "" && !ValidSlug(Slugify(tc.name)) {
			t.Errorf("Slugify(%q) is not a valid slug", tc.name)
		}
	}
}
