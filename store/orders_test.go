package store_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/store"
	"shopflow/store/storetest"
)

// orderFixture is a fresh database with two sellers, two customers and a category.
type orderFixture struct {
	t                 *testing.T
	st                *store.Store
	sellerA, sellerB  string
	customer, another string
	category          int64
}

func newOrderFixture(t *testing.T, maxConns int) *orderFixture {
	t.Helper()
	ctx := context.Background()
	u, err := url.Parse(storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", fmt.Sprint(maxConns))
	u.RawQuery = q.Encode()
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	f := &orderFixture{t: t, st: store.New(pool)}
	user := func(email, role, storeName string) store.User {
		u, err := f.st.CreateUser(ctx, store.NewUser{Email: email, PasswordHash: "x", Role: role, StoreName: storeName})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.sellerA = *user("a@example.com", store.RoleSeller, "Lamps").SellerID
	f.sellerB = *user("b@example.com", store.RoleSeller, "Rugs").SellerID
	f.customer = user("c@example.com", store.RoleCustomer, "").ID
	f.another = user("d@example.com", store.RoleCustomer, "").ID
	if err := pool.QueryRow(ctx, `INSERT INTO categories (name, slug) VALUES ('Home', 'home') RETURNING id`).Scan(&f.category); err != nil {
		t.Fatal(err)
	}
	return f
}

// product inserts a product of seller with onHand units in stock.
func (f *orderFixture) product(seller, status, currency string, priceCents int64, onHand int) int64 {
	f.t.Helper()
	ctx := context.Background()
	var id int64
	err := f.st.Pool.QueryRow(ctx, `
		INSERT INTO products (seller_id, category_id, name, price_cents, currency, status)
		VALUES ($1, $2, 'Thing', $3, $4, $5) RETURNING id`, seller, f.category, priceCents, currency, status).Scan(&id)
	if err != nil {
		f.t.Fatal(err)
	}
	f.exec(`INSERT INTO inventory (product_id, on_hand) VALUES ($1, $2)`, id, onHand)
	return id
}

func (f *orderFixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.st.Pool.Exec(context.Background(), sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

func (f *orderFixture) count(sql string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.st.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

var testAddress = store.ShippingAddress{Name: "Casey Doe", Line1: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE"}

// newOrder is a checkout of items (nil: the cart) by the fixture's customer under a fresh key.
func (f *orderFixture) newOrder(items ...store.OrderItem) store.NewOrder {
	return store.NewOrder{CustomerID: f.customer, IdempotencyKey: "key-" + fmt.Sprint(time.Now().UnixNano()),
		Items: items, PaymentMethod: "pm_card_visa", ShippingAddress: testAddress}
}

// placed creates an order of items and moves it to placed the way the saga does.
func (f *orderFixture) placed(items ...store.OrderItem) store.Order {
	f.t.Helper()
	ctx := context.Background()
	o, _, err := f.st.CreateOrder(ctx, f.newOrder(items...))
	if err != nil {
		f.t.Fatal(err)
	}
	if res, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		f.t.Fatalf("reserve %s: %+v %v", o.ID, res, err)
	}
	if res, err := f.st.ConfirmOrder(ctx, o.ID); err != nil || !res.Placed {
		f.t.Fatalf("confirm %s: %+v %v", o.ID, res, err)
	}
	return o
}

func TestOrderForSeller(t *testing.T) {
	t.Parallel()
	o := store.Order{TotalCents: 700, PaymentMethod: "pm_card_visa", Payment: &store.OrderPayment{AmountCents: 700},
		Lines: []store.OrderLine{{LineNo: 1, SellerID: "a", LineTotalCents: 300}, {LineNo: 2, SellerID: "b", LineTotalCents: 400}}}
	v := o.ForSeller("b")
	if len(v.Lines) != 1 || v.Lines[0].LineNo != 2 || v.TotalCents != 400 || v.Payment != nil || v.PaymentMethod != "" {
		t.Errorf("seller b's view: %+v", v)
	}
	if o.HasSeller("c") || !o.HasSeller("a") || len(o.Lines) != 2 || o.TotalCents != 700 {
		t.Errorf("HasSeller or the original changed: %+v", o)
	}
}
