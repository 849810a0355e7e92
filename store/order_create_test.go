package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"shopflow/errs"
	"shopflow/store"
)

func TestCreateOrderPricesFromDatabase(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	lamp := f.product(f.sellerA, "active", "EUR", 1999, 5)
	rug := f.product(f.sellerB, "active", "EUR", 500, 5)

	o, replayed, err := f.st.CreateOrder(ctx, f.newOrder(store.OrderItem{ProductID: rug, Quantity: 3}, store.OrderItem{ProductID: lamp, Quantity: 1}))
	if err != nil || replayed {
		t.Fatalf("create: replayed %v, %v", replayed, err)
	}
	if o.Status != store.OrderPending || o.CancelReason != nil || o.Currency != "EUR" || o.TotalCents != 3*500+1999 ||
		o.CustomerID != f.customer || o.PaymentMethod != "pm_card_visa" || o.ShippingAddress != testAddress || o.Payment != nil {
		t.Errorf("order: %+v", o)
	}
	want := []store.OrderLine{
		{LineNo: 1, ProductID: rug, SellerID: f.sellerB, Name: "Thing", Quantity: 3, UnitPriceCents: 500, LineTotalCents: 1500, Currency: "EUR", Fulfilment: "pending"},
		{LineNo: 2, ProductID: lamp, SellerID: f.sellerA, Name: "Thing", Quantity: 1, UnitPriceCents: 1999, LineTotalCents: 1999, Currency: "EUR", Fulfilment: "pending"},
	}
	if !slices.Equal(o.Lines, want) {
		t.Errorf("lines:\n got %+v\nwant %+v", o.Lines, want)
	}
	if len(o.Timeline) != 1 || o.Timeline[0].Status != store.OrderPending || o.Timeline[0].Note != "order received" {
		t.Errorf("timeline: %+v", o.Timeline)
	}
	// A later price change does not touch the order: lines keep the price at checkout.
	f.exec(`UPDATE products SET price_cents = 1 WHERE id = $1`, lamp)
	got, err := f.st.OrderByID(ctx, o.ID)
	if err != nil || got.TotalCents != o.TotalCents || got.Lines[1].UnitPriceCents != 1999 {
		t.Errorf("after repricing: %+v %v", got, err)
	}
	// No stock was held: that is the saga's job.
	if n := f.count(`SELECT coalesce(sum(reserved), 0) FROM inventory`); n != 0 {
		t.Errorf("checkout reserved %d units", n)
	}
}

func TestCreateOrderFromCartEmptiesIt(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	first := f.product(f.sellerA, "active", "USD", 300, 5)
	second := f.product(f.sellerB, "active", "USD", 700, 5)
	for _, id := range []int64{first, second} {
		if _, err := f.st.SetCartItem(ctx, f.customer, id, 2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.SetCartItem(ctx, f.another, first, 1); err != nil {
		t.Fatal(err)
	}
	o, _, err := f.st.CreateOrder(ctx, f.newOrder())
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Lines) != 2 || o.Lines[0].ProductID != first || o.Lines[1].ProductID != second || o.TotalCents != 2000 {
		t.Errorf("order from cart: %+v", o)
	}
	if c, _ := f.st.CartOf(ctx, f.customer); len(c.Items) != 0 {
		t.Errorf("cart not emptied: %+v", c.Items)
	}
	if c, _ := f.st.CartOf(ctx, f.another); len(c.Items) != 1 {
		t.Errorf("another customer's cart changed: %+v", c.Items)
	}
}

// TestCreateOrderRejects proves every refused checkout leaves no order and the cart as it was.
func TestCreateOrderRejects(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	usd := f.product(f.sellerA, "active", "USD", 100, 5)
	eur := f.product(f.sellerA, "active", "EUR", 100, 5)
	draft := f.product(f.sellerA, "draft", "USD", 100, 5)
	archived := f.product(f.sellerA, "archived", "USD", 100, 5)
	if _, err := f.st.SetCartItem(ctx, f.another, usd, 2); err != nil {
		t.Fatal(err)
	}
	item := func(id int64) store.OrderItem { return store.OrderItem{ProductID: id, Quantity: 1} }

	cases := []struct {
		name      string
		order     store.NewOrder
		want      errs.Code
		productID any // details.product_id
	}{
		{"unknown product is a validation error", f.newOrder(item(usd), item(usd+1000)), errs.Unprocessable, usd + 1000},
		{"draft product is not for sale", f.newOrder(item(draft)), errs.Conflict, draft},
		{"archived product is not for sale", f.newOrder(item(usd), item(archived)), errs.Conflict, archived},
		{"mixed currencies are a validation error", f.newOrder(item(usd), item(eur)), errs.Unprocessable, eur},
		{"no cart: another customer's is never used", f.newOrder(), errs.Unprocessable, nil},
	}
	run := func() {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := f.st.CreateOrder(ctx, tc.order)
				if got := errs.CodeOf(err); got != tc.want {
					t.Fatalf("code %q (%v), want %q", got, err, tc.want)
				}
				var e *errs.Error
				errors.As(err, &e)
				if tc.productID != nil && e.Details["product_id"] != tc.productID {
					t.Errorf("details %v, want product_id %v", e.Details, tc.productID)
				}
			})
		}
	}
	run()
	// Again with a cart that exists but is empty.
	if _, err := f.st.SetCartItem(ctx, f.customer, usd, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ClearCart(ctx, f.customer); err != nil {
		t.Fatal(err)
	}
	run()
	if n := f.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders written by refused checkouts", n)
	}
	if c, _ := f.st.CartOf(ctx, f.another); len(c.Items) != 1 || c.Items[0].Quantity != 2 {
		t.Errorf("cart changed: %+v", c.Items)
	}
}

func TestCreateOrderIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	a := f.product(f.sellerA, "active", "USD", 100, 5)
	b := f.product(f.sellerA, "active", "USD", 200, 5)
	req := f.newOrder(store.OrderItem{ProductID: a, Quantity: 1}, store.OrderItem{ProductID: b, Quantity: 2})
	first, replayed, err := f.st.CreateOrder(ctx, req)
	if err != nil || replayed {
		t.Fatalf("first: %v %v", replayed, err)
	}

	reordered := req
	reordered.Items = []store.OrderItem{req.Items[1], req.Items[0]}
	otherAddress := req
	otherAddress.ShippingAddress.City = "Hamburg"
	otherQuantity := req
	otherQuantity.Items = []store.OrderItem{req.Items[0], {ProductID: b, Quantity: 3}}
	cart := req
	cart.Items = nil
	otherCustomer := req
	otherCustomer.CustomerID = f.another

	cases := []struct {
		name     string
		order    store.NewOrder
		sameID   bool
		wantCode errs.Code
	}{
		{"the same request answers with the same order", req, true, ""},
		{"the same goods in another order are the same request", reordered, true, ""},
		{"another address is another request", otherAddress, false, errs.Conflict},
		{"another quantity is another request", otherQuantity, false, errs.Conflict},
		{"the cart instead of items is another request", cart, false, errs.Conflict},
		{"keys are per customer", otherCustomer, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, replayed, err := f.st.CreateOrder(ctx, tc.order)
			if got := errs.CodeOf(err); got != tc.wantCode {
				t.Fatalf("code %q (%v), want %q", got, err, tc.wantCode)
			}
			if err != nil {
				return
			}
			if (o.ID == first.ID) != tc.sameID || replayed != tc.sameID {
				t.Errorf("order %s replayed %v; first was %s, want same %v", o.ID, replayed, first.ID, tc.sameID)
			}
		})
	}
	if n := f.count(`SELECT count(*) FROM orders WHERE customer_id = $1`, f.customer); n != 1 {
		t.Errorf("%d orders for one key", n)
	}
}

// TestCreateOrderConcurrentSameKey races identical requests with one key, from items and from
// the cart: exactly one order, and every request gets it.
func TestCreateOrderConcurrentSameKey(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 20)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 5)
	if _, err := f.st.SetCartItem(ctx, f.customer, p, 2); err != nil {
		t.Fatal(err)
	}
	for _, source := range []string{"items", "cart"} {
		req := f.newOrder(store.OrderItem{ProductID: p, Quantity: 1})
		if source == "cart" {
			req.Items = nil
		}
		const n = 20
		ids := make([]string, n)
		errsOut := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				o, _, err := f.st.CreateOrder(ctx, req)
				ids[i], errsOut[i] = o.ID, err
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errsOut {
			if err != nil {
				t.Errorf("%s request %d: %v", source, i, err)
			} else if ids[i] != ids[0] {
				t.Errorf("%s request %d: order %s, request 0 got %s", source, i, ids[i], ids[0])
			}
		}
		if got := f.count(`SELECT count(*) FROM orders WHERE idempotency_key = $1`, req.IdempotencyKey); got != 1 {
			t.Errorf("%s: %d orders for one key", source, got)
		}
	}
}

// TestOrderCheckoutLeavesStockToTheSaga runs 200 checkouts for 10 units: all are accepted,
// and the saga's own steps then place 10 and cancel 190 as out_of_stock, never overselling.
func TestOrderCheckoutLeavesStockToTheSaga(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 16)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 10)

	const n = 200
	ids := make([]string, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	for i := range n {
		wg.Go(func() {
			req := f.newOrder(store.OrderItem{ProductID: p, Quantity: 1})
			req.IdempotencyKey = fmt.Sprintf("key-%d", i)
			o, _, err := f.st.CreateOrder(ctx, req)
			if err == nil {
				ids[i] = o.ID
				var res store.ReserveResult
				if res, err = f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err == nil {
					if res.Reserved {
						_, err = f.st.ConfirmOrder(ctx, o.ID)
					} else {
						_, err = f.st.ReleaseOrder(ctx, o.ID, store.ReasonOutOfStock)
					}
				}
			}
			if err != nil {
				mu.Lock()
				failures = append(failures, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range failures {
		t.Error(err)
	}
	placed := f.count(`SELECT count(*) FROM orders WHERE status = 'placed'`)
	canceled := f.count(`SELECT count(*) FROM orders WHERE status = 'canceled' AND cancel_reason = 'out_of_stock'`)
	if placed != 10 || canceled != 190 {
		t.Errorf("placed %d, canceled out_of_stock %d; want 10 and 190", placed, canceled)
	}
	if onHand, reserved := f.count(`SELECT on_hand FROM inventory WHERE product_id = $1`, p),
		f.count(`SELECT reserved FROM inventory WHERE product_id = $1`, p); onHand != 0 || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want 0 and 0", onHand, reserved)
	}
}
