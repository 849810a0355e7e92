package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// orderView is the Order schema as a client reads it.
type orderView struct {
	ID              string            `json:"id"`
	CustomerID      string            `json:"customer_id"`
	Status          string            `json:"status"`
	CancelReason    *string           `json:"cancel_reason"`
	Currency        string            `json:"currency"`
	TotalCents      int64             `json:"total_cents"`
	PaymentMethod   string            `json:"payment_method"`
	ShippingAddress map[string]string `json:"shipping_address"`
	Payment         *struct {
		Provider    string `json:"provider"`
		IntentID    string `json:"intent_id"`
		Status      string `json:"status"`
		AmountCents int64  `json:"amount_cents"`
		Currency    string `json:"currency"`
	} `json:"payment"`
	Lines []struct {
		LineNo         int    `json:"line_no"`
		ProductID      int64  `json:"product_id"`
		SellerID       string `json:"seller_id"`
		Name           string `json:"name"`
		Quantity       int    `json:"quantity"`
		UnitPriceCents int64  `json:"unit_price_cents"`
		LineTotalCents int64  `json:"line_total_cents"`
		Currency       string `json:"currency"`
		Fulfilment     string `json:"fulfilment"`
	} `json:"lines"`
	Timeline []struct {
		Status string    `json:"status"`
		Note   string    `json:"note"`
		At     time.Time `json:"at"`
	} `json:"timeline"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// productIDs lists the products of the order's lines, in line order.
func (o orderView) productIDs() []int64 {
	ids := []int64{}
	for _, l := range o.Lines {
		ids = append(ids, l.ProductID)
	}
	return ids
}

// fulfilments lists the lines' fulfilment states, in line order.
func (o orderView) fulfilments() []string {
	out := []string{}
	for _, l := range o.Lines {
		out = append(out, l.Fulfilment)
	}
	return out
}

type checkoutView struct {
	Order     orderView `json:"order"`
	StatusURL string    `json:"status_url"`
}

// coEnv is e reporting to t, for use inside a subtest.
func coEnv(e *testEnv, t testing.TB) *testEnv {
	c := *e
	c.t = t
	return &c
}

func coAddress() map[string]any {
	return map[string]any{"name": "Casey Doe", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115", "country": "DE"}
}

func coItem(productID int64, quantity any) map[string]any {
	return map[string]any{"product_id": productID, "quantity": quantity}
}

// coBody is a valid checkout body: of items when given, of the cart when items is nil.
func coBody(items []map[string]any) map[string]any {
	b := map[string]any{"payment_method": "pm_card_visa", "shipping_address": coAddress()}
	if items != nil {
		b["items"] = items
	}
	return b
}

// checkout posts a checkout with key (no header when key is "").
func (e *testEnv) checkout(token, key string, body any) response {
	e.t.Helper()
	h := map[string]string{}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	return e.do(req{Method: "POST", Path: "/api/v1/checkout", Token: token, Body: body, Header: h})
}

// checkoutOrder checks out items (nil: the cart) as a and returns the pending order.
func (e *testEnv) checkoutOrder(a account, items ...map[string]any) orderView {
	e.t.Helper()
	res := e.checkout(a.Token, "key-"+randHex(6), coBody(items))
	if res.Code != http.StatusAccepted {
		e.t.Fatalf("checkout: %d %s", res.Code, res.Body)
	}
	var cv checkoutView
	res.JSON(e.t, &cv)
	return cv.Order
}

// placeOrder moves a pending order to placed with the store steps the saga runs.
func (e *testEnv) placeOrder(id string) {
	e.t.Helper()
	ctx := context.Background()
	if res, err := e.Store.ReserveOrder(ctx, id, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		e.t.Fatalf("reserve %s: %+v %v", id, res, err)
	}
	if res, err := e.Store.ConfirmOrder(ctx, id); err != nil || !res.Placed {
		e.t.Fatalf("confirm %s: %+v %v", id, res, err)
	}
}

func (e *testEnv) orderAs(token, id string) orderView {
	e.t.Helper()
	var o orderView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/orders/" + id, Token: token}).JSON(e.t, &o)
	return o
}

func (e *testEnv) countRows(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.Store.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// TestCheckoutRejectsBadInput sends every kind of bad checkout: each is a 4xx with a clear
// error, and none writes an order, touches a cart or starts a saga.
func TestCheckoutRejectsBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller := e.newSeller()
	buyer, neighbour, empty := e.newCustomer(), e.newCustomer(), e.newCustomer()
	usd := e.fixtureProduct(seller, productFixture{PriceCents: 1999})
	usd2 := e.fixtureProduct(seller, productFixture{PriceCents: 500})
	eur := e.fixtureProduct(seller, productFixture{Currency: "EUR"})
	draft := e.fixtureProduct(seller, productFixture{Status: "draft"})
	archived := e.fixtureProduct(seller, productFixture{Status: "archived"})
	e.putCart(buyer.Token, usd, 2)
	e.putCart(buyer.Token, usd2, 1)
	e.putCart(neighbour.Token, usd, 3)
	buyerCart, neighbourCart := e.cart(buyer.Token), e.cart(neighbour.Token)

	valid := func(edit func(b map[string]any)) map[string]any {
		b := coBody([]map[string]any{coItem(usd, 1)})
		edit(b)
		return b
	}
	address := func(edit func(a map[string]any)) map[string]any {
		return valid(func(b map[string]any) { edit(b["shipping_address"].(map[string]any)) })
	}
	hundredOne := make([]map[string]any, 101)
	for i := range hundredOne {
		hundredOne[i] = coItem(int64(i+1), 1)
	}
	const ok = "key-1"
	cases := []struct {
		name   string
		token  string
		key    string
		body   any
		status int
		code   string
		detail string // a details key the error must carry ("fields.x" for a field)
	}{
		{"no token is 401", "", ok, valid(func(map[string]any) {}), 401, "unauthorized", ""},
		{"a seller cannot check out", seller.Token, ok, valid(func(map[string]any) {}), 403, "forbidden", ""},
		{"missing Idempotency-Key", buyer.Token, "", valid(func(map[string]any) {}), 400, "invalid", "parameter"},
		{"Idempotency-Key with a space", buyer.Token, "two words", valid(func(map[string]any) {}), 400, "invalid", ""},
		{"Idempotency-Key over 255 characters", buyer.Token, strings.Repeat("k", 256), valid(func(map[string]any) {}), 400, "invalid", ""},
		{"unknown product", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = []map[string]any{coItem(usd, 1), coItem(usd+1000, 1)} }), 422, "validation", "product_id"},
		{"quantity 0", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = []map[string]any{coItem(usd, 0)} }), 422, "validation", "fields.items[0].quantity"},
		{"negative quantity", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = []map[string]any{coItem(usd, -3)} }), 422, "validation", "fields.items[0].quantity"},
		{"quantity over 1000", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = []map[string]any{coItem(usd, 1001)} }), 422, "validation", "fields.items[0].quantity"},
		{"quantity too big for an integer", buyer.Token, ok,
			fmt.Sprintf(`{"items":[{"product_id":%d,"quantity":100000000000000000000}],"payment_method":"pm_card_visa","shipping_address":{"name":"A","line1":"B","city":"C","postal_code":"1","country":"DE"}}`, usd),
			400, "invalid", ""},
		{"quantity as a string", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = []map[string]any{coItem(usd, "2")} }), 400, "invalid", ""},
		{"missing quantity", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = []map[string]any{{"product_id": usd}} }), 422, "validation", "fields.items[0].quantity"},
		{"product id 0", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = []map[string]any{coItem(0, 1)} }), 422, "validation", "fields.items[0].product_id"},
		{"draft product is not for sale", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = []map[string]any{coItem(draft, 1)} }), 409, "conflict", "product_id"},
		{"archived product is not for sale", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = []map[string]any{coItem(usd, 1), coItem(archived, 1)} }), 409, "conflict", "product_id"},
		{"the same product on two lines", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = []map[string]any{coItem(usd, 1), coItem(usd2, 1), coItem(usd, 2)} }), 422, "validation", "fields.items[2].product_id"},
		{"mixed currencies", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = []map[string]any{coItem(usd, 1), coItem(eur, 1)} }), 422, "validation", "product_id"},
		{"an empty items list", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = []map[string]any{} }), 422, "validation", "fields.items"},
		{"101 lines", buyer.Token, ok, valid(func(b map[string]any) { b["items"] = hundredOne }), 422, "validation", "fields.items"},
		{"an empty cart is refused; never another customer's cart", empty.Token, ok, coBody(nil), 422, "validation", "fields.items"},
		{"a cart cannot be named", empty.Token, ok, valid(func(b map[string]any) { delete(b, "items"); b["cart_id"] = neighbour.ID }), 400, "invalid", "fields.cart_id"},
		{"a client price is an unknown field", buyer.Token, ok, valid(func(b map[string]any) {
			b["items"] = []map[string]any{{"product_id": usd, "quantity": 1, "unit_price_cents": 1}}
		}), 400, "invalid", "fields.unit_price_cents"},
		{"a client total is an unknown field", buyer.Token, ok, valid(func(b map[string]any) { b["total_cents"] = 1 }), 400, "invalid", "fields.total_cents"},
		{"missing payment_method", buyer.Token, ok, valid(func(b map[string]any) { delete(b, "payment_method") }), 422, "validation", "fields.payment_method"},
		{"blank payment_method", buyer.Token, ok, valid(func(b map[string]any) { b["payment_method"] = "   " }), 422, "validation", "fields.payment_method"},
		{"payment_method over 255 characters", buyer.Token, ok, valid(func(b map[string]any) { b["payment_method"] = strings.Repeat("p", 256) }), 422, "validation", "fields.payment_method"},
		{"missing shipping_address", buyer.Token, ok, valid(func(b map[string]any) { delete(b, "shipping_address") }), 422, "validation", "fields.shipping_address"},
		{"shipping_address not an object", buyer.Token, ok, valid(func(b map[string]any) { b["shipping_address"] = "Berlin" }), 400, "invalid", ""},
		{"missing name", buyer.Token, ok, address(func(a map[string]any) { delete(a, "name") }), 422, "validation", "fields.shipping_address.name"},
		{"blank name", buyer.Token, ok, address(func(a map[string]any) { a["name"] = "  " }), 422, "validation", "fields.shipping_address.name"},
		{"name over 200 characters", buyer.Token, ok, address(func(a map[string]any) { a["name"] = strings.Repeat("n", 201) }), 422, "validation", "fields.shipping_address.name"},
		{"missing line1", buyer.Token, ok, address(func(a map[string]any) { delete(a, "line1") }), 422, "validation", "fields.shipping_address.line1"},
		{"missing city", buyer.Token, ok, address(func(a map[string]any) { delete(a, "city") }), 422, "validation", "fields.shipping_address.city"},
		{"postal_code over 20 characters", buyer.Token, ok, address(func(a map[string]any) { a["postal_code"] = strings.Repeat("1", 21) }), 422, "validation", "fields.shipping_address.postal_code"},
		{"missing country", buyer.Token, ok, address(func(a map[string]any) { delete(a, "country") }), 422, "validation", "fields.shipping_address.country"},
		{"unassigned country", buyer.Token, ok, address(func(a map[string]any) { a["country"] = "XX" }), 422, "validation", "fields.shipping_address.country"},
		{"lower-case country", buyer.Token, ok, address(func(a map[string]any) { a["country"] = "de" }), 422, "validation", "fields.shipping_address.country"},
		{"alpha-3 country", buyer.Token, ok, address(func(a map[string]any) { a["country"] = "DEU" }), 422, "validation", "fields.shipping_address.country"},
		{"unknown address field", buyer.Token, ok, address(func(a map[string]any) { a["planet"] = "Mars" }), 400, "invalid", ""},
		{"malformed JSON", buyer.Token, ok, `{"items": [`, 400, "invalid", ""},
		{"empty body", buyer.Token, ok, " ", 400, "invalid", ""},
		{"an array, not an object", buyer.Token, ok, `[]`, 400, "invalid", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := coEnv(e, t)
			res := e.checkout(tc.token, tc.key, tc.body)
			if res.Code != tc.status || res.ErrorCode(t) != tc.code {
				t.Fatalf("%d %s, want %d %s", res.Code, res.Body, tc.status, tc.code)
			}
			if tc.detail == "" {
				return
			}
			details := catErr(t, res).Error.Details
			if field, isField := strings.CutPrefix(tc.detail, "fields."); isField {
				if catErr(t, res).field(field) == "" {
					t.Errorf("no details.fields[%q]: %s", field, res.Body)
				}
			} else if details[tc.detail] == nil {
				t.Errorf("no details.%s: %s", tc.detail, res.Body)
			}
		})
	}

	if n := e.countRows(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("refused checkouts wrote %d orders", n)
	}
	if got := e.cart(buyer.Token); !slices.Equal(got.productIDs(), buyerCart.productIDs()) || got.ItemCount != buyerCart.ItemCount {
		t.Errorf("buyer's cart changed: %+v, was %+v", got.Items, buyerCart.Items)
	}
	if got := e.cart(neighbour.Token); got.ItemCount != neighbourCart.ItemCount {
		t.Errorf("neighbour's cart changed: %+v", got.Items)
	}
	if n := e.Sagas.StartedCount(); n != 0 {
		t.Errorf("refused checkouts started %d sagas", n)
	}
}

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
