package demo

import (
	"context"
	"testing"

	"shopflow/store"
	"shopflow/store/storetest"
)

// The demo shop prices a New York order of a laptop and a book with the welcome coupon:
// standard shipping per seller (free for the laptop's seller, over $50), 10% off each line,
// New York's rate on the laptop (standard class) but none on the book (no reduced rate in NY).
func TestDemoPricingQuotesAnOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	if _, err := Seed(ctx, pool, quiet); err != nil {
		t.Fatal(err)
	}
	var customer string
	if err := pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('q@demo.local', 'x', 'customer') RETURNING id`).Scan(&customer); err != nil {
		t.Fatal(err)
	}
	var laptop, book int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT id FROM products WHERE name = 'Stratus 14 Ultrabook'),
		(SELECT id FROM products WHERE name = 'The Pragmatic Shopkeeper')`).Scan(&laptop, &book); err != nil {
		t.Fatal(err)
	}
	q, err := store.New(pool).QuoteOrder(ctx, store.NewOrder{
		CustomerID: customer, Coupon: "welcome10",
		Items:           []store.OrderItem{{ProductID: laptop, Quantity: 1}, {ProductID: book, Quantity: 1}},
		ShippingAddress: store.ShippingAddress{Country: "US", Region: "NY"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Laptop 119900 -10% = 107910, tax 8.875% = 9577.0125 -> 9577. Book 2999 -10% = 2699 (2999*0.1 =
	// 299.9 -> 300), no reduced rate in NY. Shipping: laptop's seller free (over 5000); the book's
	// seller 599, taxed 8.875% = 53.16 -> 53.
	want := struct{ sub, disc, ship, tax, total int64 }{122899, 11990 + 300, 599, 9577 + 53, 122899 - 12290 + 599 + 9630}
	got := struct{ sub, disc, ship, tax, total int64 }{q.SubtotalCents, q.DiscountCents, q.ShippingCents, q.TaxCents, q.TotalCents}
	if got != want {
		t.Fatalf("quote %+v, want %+v (quote: %+v)", got, want, q)
	}
	if q.Promotion == nil || q.Promotion.Code != "WELCOME10" || q.ShippingMethod != "standard" || len(q.ShippingOptions) != 2 {
		t.Errorf("promotion %+v, method %q, options %+v", q.Promotion, q.ShippingMethod, q.ShippingOptions)
	}
}
