package api_test

import (
	"context"
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
