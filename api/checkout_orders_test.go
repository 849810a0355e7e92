package api_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestCheckoutCreatesPendingOrder checks out items: a pending order priced from the database,
// its saga started, and the cart left alone.
func TestCheckoutCreatesPendingOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller := e.newSeller()
	buyer := e.newCustomer()
	lamp := e.fixtureProduct(seller, productFixture{PriceCents: 1999, Currency: "EUR", Name: "Lamp"})
	rug := e.fixtureProduct(seller, productFixture{PriceCents: 500, Currency: "EUR", Name: "Rug"})
	e.putCart(buyer.Token, lamp, 1)

	body := coBody([]map[string]any{coItem(rug, 3), coItem(lamp, 2)})
	body["shipping_address"].(map[string]any)["line2"] = "Flat 2"
	res := e.checkout(buyer.Token, "order-1", body)
	if res.Code != http.StatusAccepted {
		t.Fatalf("checkout: %d %s", res.Code, res.Body)
	}
	var cv checkoutView
	res.JSON(t, &cv)
	o := cv.Order
	if cv.StatusURL != "/api/v1/orders/"+o.ID || res.Header.Get("Location") != cv.StatusURL {
		t.Errorf("status_url %q, Location %q", cv.StatusURL, res.Header.Get("Location"))
	}
	if res.Header.Get("Idempotent-Replayed") != "" {
		t.Error("a first checkout is marked replayed")
	}
	if o.Status != "pending" || o.CancelReason != nil || o.CustomerID != buyer.ID || o.Currency != "EUR" ||
		o.TotalCents != 3*500+2*1999 || o.PaymentMethod != "pm_card_visa" || o.Payment != nil {
		t.Errorf("order: %+v", o)
	}
	if !slices.Equal(o.productIDs(), []int64{rug, lamp}) || o.Lines[0].LineNo != 1 || o.Lines[1].LineNo != 2 ||
		o.Lines[1].UnitPriceCents != 1999 || o.Lines[1].LineTotalCents != 3998 || o.Lines[1].Name != "Lamp" ||
		o.Lines[0].SellerID != *seller.SellerID || o.Lines[0].Fulfilment != "pending" {
		t.Errorf("lines: %+v", o.Lines)
	}
	if o.ShippingAddress["line2"] != "Flat 2" || o.ShippingAddress["country"] != "DE" || o.ShippingAddress["region"] != "" {
		t.Errorf("shipping address: %v", o.ShippingAddress)
	}
	if len(o.Timeline) != 1 || o.Timeline[0].Status != "pending" {
		t.Errorf("timeline: %+v", o.Timeline)
	}
	if e.Sagas.StartedCount() != 1 || e.Sagas.Started[0] != o.ID {
		t.Errorf("sagas started: %v", e.Sagas.Started)
	}
	if c := e.cart(buyer.Token); c.ItemCount != 1 {
		t.Errorf("checking out items changed the cart: %+v", c.Items)
	}
	if got := e.orderAs(buyer.Token, o.ID); got.ID != o.ID || got.TotalCents != o.TotalCents {
		t.Errorf("GET the status_url: %+v", got)
	}
}

// TestCheckoutFromCart checks out the cart: its lines at the database's current prices, in the
// order they were added, and the cart emptied.
func TestCheckoutFromCart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller := e.newSeller()
	buyer := e.newCustomer()
	first := e.fixtureProduct(seller, productFixture{PriceCents: 300})
	second := e.fixtureProduct(seller, productFixture{PriceCents: 700})
	e.putCart(buyer.Token, first, 2)
	e.putCart(buyer.Token, second, 1)
	e.exec(`UPDATE products SET price_cents = 350 WHERE id = $1`, first) // repriced after it was added

	o := e.checkoutOrder(buyer)
	if !slices.Equal(o.productIDs(), []int64{first, second}) || o.TotalCents != 2*350+700 || o.Lines[0].UnitPriceCents != 350 {
		t.Errorf("order from cart: %+v", o)
	}
	if c := e.cart(buyer.Token); len(c.Items) != 0 {
		t.Errorf("cart not emptied: %+v", c.Items)
	}
}

// TestCheckoutIdempotencyKey replays checkouts with one key: the same body answers with the same
// order (and one row), another body is a 409.
func TestCheckoutIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller := e.newSeller()
	buyer, other := e.newCustomer(), e.newCustomer()
	p := e.fixtureProduct(seller, productFixture{})
	body := coBody([]map[string]any{coItem(p, 2)})

	var first checkoutView
	e.mustDo(http.StatusAccepted, req{Method: "POST", Path: "/api/v1/checkout", Token: buyer.Token, Body: body,
		Header: map[string]string{"Idempotency-Key": "same-key"}}).JSON(t, &first)

	changed := coBody([]map[string]any{coItem(p, 3)})
	cases := []struct {
		name     string
		token    string
		key      string
		body     any
		status   int
		sameID   bool
		replayed bool
	}{
		{"the same key and body answer with the same order", buyer.Token, "same-key", body, 202, true, true},
		{"and again", buyer.Token, "same-key", body, 202, true, true},
		{"the same key with another body is a conflict", buyer.Token, "same-key", changed, 409, false, false},
		{"another key is another order", buyer.Token, "other-key", body, 202, false, false},
		{"keys belong to their customer", other.Token, "same-key", body, 202, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := coEnv(e, t)
			res := e.checkout(tc.token, tc.key, tc.body)
			if res.Code != tc.status {
				t.Fatalf("%d %s, want %d", res.Code, res.Body, tc.status)
			}
			if tc.status != 202 {
				if !strings.Contains(string(res.Body), "Idempotency-Key was already used with a different request") {
					t.Errorf("409 message: %s", res.Body)
				}
				return
			}
			var cv checkoutView
			res.JSON(t, &cv)
			if (cv.Order.ID == first.Order.ID) != tc.sameID || (res.Header.Get("Idempotent-Replayed") == "true") != tc.replayed {
				t.Errorf("order %s replayed %q; first %s, want same %v", cv.Order.ID, res.Header.Get("Idempotent-Replayed"), first.Order.ID, tc.sameID)
			}
		})
	}
	if n := e.countRows(`SELECT count(*) FROM orders WHERE customer_id = $1 AND idempotency_key = 'same-key'`, buyer.ID); n != 1 {
		t.Errorf("%d orders for one key", n)
	}
	// Start is idempotent, so a replay starts the saga again rather than risk never starting it.
	if got := e.Sagas.StartedCount(); got != 5 {
		t.Errorf("%d saga starts, want 5 (one per accepted request)", got)
	}

	// A cart checkout retried after it succeeded finds its order, not the emptied cart.
	e.putCart(buyer.Token, p, 1)
	var fromCart, retried checkoutView
	e.mustDo(202, req{Method: "POST", Path: "/api/v1/checkout", Token: buyer.Token, Body: coBody(nil),
		Header: map[string]string{"Idempotency-Key": "cart-key"}}).JSON(t, &fromCart)
	e.mustDo(202, req{Method: "POST", Path: "/api/v1/checkout", Token: buyer.Token, Body: coBody(nil),
		Header: map[string]string{"Idempotency-Key": "cart-key"}}).JSON(t, &retried)
	if retried.Order.ID != fromCart.Order.ID {
		t.Errorf("cart retry: order %s, first %s", retried.Order.ID, fromCart.Order.ID)
	}
}

// TestCheckoutConcurrentSameKey sends 20 identical checkouts with one key at once, of items and
// of the cart: one order, every answer a 202 with it, no 500.
func TestCheckoutConcurrentSameKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller := e.newSeller()
	buyer := e.newCustomer()
	p := e.fixtureProduct(seller, productFixture{})
	e.putCart(buyer.Token, p, 2)
	for _, source := range []string{"items", "cart"} {
		body := coBody([]map[string]any{coItem(p, 1)})
		if source == "cart" {
			body = coBody(nil)
		}
		key := "race-" + source
		got := race(20, func(int) response { return e.checkout(buyer.Token, key, body) })
		wantAll(t, got, http.StatusAccepted)
		ids := map[string]bool{}
		for _, r := range got {
			var cv checkoutView
			r.JSON(t, &cv)
			ids[cv.Order.ID] = true
		}
		if len(ids) != 1 {
			t.Errorf("%s: %d different orders: %v", source, len(ids), ids)
		}
		if n := e.countRows(`SELECT count(*) FROM orders WHERE idempotency_key = $1`, key); n != 1 {
			t.Errorf("%s: %d orders for one key", source, n)
		}
	}
}

// TestCheckoutStartFailureStillAccepted: with Temporal down the order is durable and pending,
// and the answer is still a 202 (the sweep starts its saga later).
func TestCheckoutStartFailureStillAccepted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Sagas.StartErr = errors.New("temporal is down")
	seller := e.newSeller()
	buyer := e.newCustomer()
	p := e.fixtureProduct(seller, productFixture{})
	o := e.checkoutOrder(buyer, coItem(p, 1))
	if o.Status != "pending" {
		t.Errorf("status %q", o.Status)
	}
	if n := e.countRows(`SELECT count(*) FROM orders WHERE id = $1 AND status = 'pending'`, o.ID); n != 1 {
		t.Error("the order was not kept")
	}
}

// TestCheckoutDoesNotCheckStock: more than is in stock is accepted; the saga decides.
func TestCheckoutDoesNotCheckStock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller := e.newSeller()
	buyer := e.newCustomer()
	p := e.fixtureProduct(seller, productFixture{OnHand: 2})
	o := e.checkoutOrder(buyer, coItem(p, 5))
	if o.Status != "pending" || o.Lines[0].Quantity != 5 {
		t.Errorf("order: %+v", o)
	}
	if n := e.countRows(`SELECT reserved FROM inventory WHERE product_id = $1`, p); n != 0 {
		t.Errorf("checkout reserved %d units", n)
	}
}
