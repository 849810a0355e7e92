package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"shopflow/errs"
	"shopflow/store"
	"shopflow/store/storetest"
)

// cartFixture is a fresh database with one seller and one customer.
type cartFixture struct {
	t        *testing.T
	st       *store.Store
	sellerID string
	customer string
	category int64
}

func newCartFixture(t *testing.T) *cartFixture {
	t.Helper()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	seller, err := st.CreateUser(ctx, store.NewUser{Email: "seller@example.com", PasswordHash: "x", Role: store.RoleSeller, StoreName: "Lamps"})
	if err != nil {
		t.Fatal(err)
	}
	customer, err := st.CreateUser(ctx, store.NewUser{Email: "customer@example.com", PasswordHash: "x", Role: store.RoleCustomer})
	if err != nil {
		t.Fatal(err)
	}
	f := &cartFixture{t: t, st: st, sellerID: *seller.SellerID, customer: customer.ID}
	if err := st.Pool.QueryRow(ctx, `INSERT INTO categories (name, slug) VALUES ('Lamps', 'lamps') RETURNING id`).Scan(&f.category); err != nil {
		t.Fatal(err)
	}
	return f
}

// product inserts a product; onHand < 0 leaves it without an inventory row.
func (f *cartFixture) product(status, currency string, priceCents int64, onHand int) int64 {
	f.t.Helper()
	ctx := context.Background()
	var id int64
	err := f.st.Pool.QueryRow(ctx, `
		INSERT INTO products (seller_id, category_id, name, price_cents, currency, status)
		VALUES ($1, $2, 'Lamp', $3, $4, $5) RETURNING id`, f.sellerID, f.category, priceCents, currency, status).Scan(&id)
	if err != nil {
		f.t.Fatal(err)
	}
	if onHand >= 0 {
		f.exec(`INSERT INTO inventory (product_id, on_hand) VALUES ($1, $2)`, id, onHand)
	}
	return id
}

func (f *cartFixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.st.Pool.Exec(context.Background(), sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

func TestCartSetItemErrors(t *testing.T) {
	t.Parallel()
	f := newCartFixture(t)
	ctx := context.Background()
	active := f.product("active", "USD", 100, 4)
	draft := f.product("draft", "USD", 100, 4)
	archived := f.product("archived", "USD", 100, 4)
	noInventory := f.product("active", "USD", 100, -1)

	cases := []struct {
		name      string
		productID int64
		quantity  int
		want      errs.Code
		available any // details.available, when the error is about stock
	}{
		{"zero quantity breaks the rule", active, 0, errs.Unprocessable, nil},
		{"quantity over the maximum breaks the rule", active, store.MaxLineQuantity + 1, errs.Unprocessable, nil},
		{"unknown product is not found", active + 100, 1, errs.NotFound, nil},
		{"draft product is not found", draft, 1, errs.NotFound, nil},
		{"archived product is a conflict", archived, 1, errs.Conflict, nil},
		{"more than on hand is a conflict", active, 5, errs.Conflict, 4},
		{"a product without an inventory row has none available", noInventory, 1, errs.Conflict, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.st.SetCartItem(ctx, f.customer, tc.productID, tc.quantity)
			if got := errs.CodeOf(err); got != tc.want {
				t.Fatalf("code %q (%v), want %q", got, err, tc.want)
			}
			var e *errs.Error
			errors.As(err, &e)
			if tc.available != nil && e.Details["available"] != tc.available {
				t.Errorf("details %v, want available %v", e.Details, tc.available)
			}
		})
	}
	if c, err := f.st.CartOf(ctx, f.customer); err != nil || len(c.Items) != 0 || c.UpdatedAt != nil {
		t.Errorf("failed sets left a cart behind: %+v, %v", c, err)
	}
}

func TestWishlistSetItemErrors(t *testing.T) {
	t.Parallel()
	f := newCartFixture(t)
	ctx := context.Background()
	cases := []struct {
		name      string
		productID int64
		quantity  int
		want      errs.Code
	}{
		{"zero quantity breaks the rule", f.product("active", "USD", 100, 1), 0, errs.Unprocessable},
		{"draft product is not found", f.product("draft", "USD", 100, 1), 1, errs.NotFound},
		{"archived product is not found", f.product("archived", "USD", 100, 1), 1, errs.NotFound},
		{"sold-out product is fine", f.product("active", "USD", 100, 0), 7, ""},
		{"product without inventory is fine", f.product("active", "USD", 100, -1), 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.st.SetWishlistItem(ctx, f.customer, tc.productID, tc.quantity)
			if got := errs.CodeOf(err); got != tc.want {
				t.Fatalf("code %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

// TestCartAfterCurrencyChange covers a seller repricing a product in another currency after
// it was added: the cart keeps the currency of its earliest active line and sums only those.
func TestCartAfterCurrencyChange(t *testing.T) {
	t.Parallel()
	f := newCartFixture(t)
	ctx := context.Background()
	first := f.product("active", "USD", 300, 10)
	second := f.product("active", "USD", 500, 10)
	for _, id := range []int64{first, second} {
		if _, err := f.st.SetCartItem(ctx, f.customer, id, 2); err != nil {
			t.Fatal(err)
		}
	}
	f.exec(`UPDATE products SET currency = 'EUR' WHERE id = $1`, second)

	c, err := f.st.CartOf(ctx, f.customer)
	if err != nil {
		t.Fatal(err)
	}
	if c.Currency == nil || *c.Currency != "USD" || c.SubtotalCents != 600 || c.ItemCount != 4 {
		t.Errorf("cart currency %v subtotal %d count %d, want USD 600 (the EUR line left out) 4", c.Currency, c.SubtotalCents, c.ItemCount)
	}
	if _, err := f.st.SetCartItem(ctx, f.customer, second, 3); !errs.Is(err, errs.Conflict) {
		t.Errorf("changing the EUR line among USD lines: %v, want conflict", err)
	}

	// With the USD line archived, the cart is a EUR cart.
	f.exec(`UPDATE products SET status = 'archived' WHERE id = $1`, first)
	if c, err = f.st.SetCartItem(ctx, f.customer, second, 3); err != nil {
		t.Fatal(err)
	}
	if *c.Currency != "EUR" || c.SubtotalCents != 1500 {
		t.Errorf("cart currency %v subtotal %d, want EUR 1500", *c.Currency, c.SubtotalCents)
	}

	// A cart of nothing buyable still names a currency, with nothing to pay.
	f.exec(`UPDATE products SET status = 'archived' WHERE id = $1`, second)
	if c, err = f.st.CartOf(ctx, f.customer); err != nil {
		t.Fatal(err)
	}
	if c.Currency == nil || *c.Currency != "USD" || c.SubtotalCents != 0 {
		t.Errorf("all archived: currency %v subtotal %d, want the earliest line's USD and 0", c.Currency, c.SubtotalCents)
	}
}

func TestCartOfDeletedAccount(t *testing.T) {
	t.Parallel()
	f := newCartFixture(t)
	ctx := context.Background()
	id := f.product("active", "USD", 100, 5)
	f.exec(`DELETE FROM users WHERE id = $1`, f.customer)
	if _, err := f.st.SetCartItem(ctx, f.customer, id, 1); !errs.Is(err, errs.Unauthorized) {
		t.Errorf("cart of a deleted account: %v, want unauthorized", err)
	}
	if _, err := f.st.SetWishlistItem(ctx, f.customer, id, 1); !errs.Is(err, errs.Unauthorized) {
		t.Errorf("wishlist of a deleted account: %v, want unauthorized", err)
	}
}

// TestCartConcurrentChanges races sets, removals and clears on one cart: none may fail.
func TestCartConcurrentChanges(t *testing.T) {
	t.Parallel()
	f := newCartFixture(t)
	ctx := context.Background()
	ids := []int64{f.product("active", "USD", 100, 50), f.product("active", "USD", 200, 50)}
	var wg sync.WaitGroup
	errc := make(chan error, 30)
	for i := range 30 {
		wg.Go(func() {
			id := ids[i%2]
			var err error
			switch i % 3 {
			case 0:
				_, err = f.st.SetCartItem(ctx, f.customer, id, i+1)
			case 1:
				_, err = f.st.RemoveCartItem(ctx, f.customer, id)
			case 2:
				_, err = f.st.ClearCart(ctx, f.customer)
			}
			if err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	c, err := f.st.CartOf(ctx, f.customer)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Items) > 2 {
		t.Errorf("lines %+v, want at most one per product", c.Items)
	}
}
