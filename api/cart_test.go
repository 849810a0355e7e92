package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// cartBody is the Cart schema as a client reads it.
type cartBody struct {
	Items         []cartLine `json:"items"`
	ItemCount     int        `json:"item_count"`
	SubtotalCents int64      `json:"subtotal_cents"`
	Currency      *string    `json:"currency"`
	UpdatedAt     *time.Time `json:"updated_at"`
}

type cartLine struct {
	ProductID      int64     `json:"product_id"`
	Name           string    `json:"name"`
	Quantity       int       `json:"quantity"`
	UnitPriceCents int64     `json:"unit_price_cents"`
	Currency       string    `json:"currency"`
	LineTotalCents int64     `json:"line_total_cents"`
	Available      int       `json:"available"`
	InStock        bool      `json:"in_stock"`
	Status         string    `json:"status"`
	AddedAt        time.Time `json:"added_at"`
}

// line returns the cart's line for productID, failing the test when there is none.
func (c cartBody) line(t testing.TB, productID int64) cartLine {
	t.Helper()
	for _, l := range c.Items {
		if l.ProductID == productID {
			return l
		}
	}
	t.Fatalf("cart has no line for product %d: %+v", productID, c.Items)
	return cartLine{}
}

func (c cartBody) productIDs() []int64 {
	ids := []int64{}
	for _, l := range c.Items {
		ids = append(ids, l.ProductID)
	}
	return ids
}

// productFixture describes a product inserted straight into the database, so these tests do
// not depend on the catalog API. Zero values mean: active, 1000 cents, USD, 10 on hand.
type productFixture struct {
	Name       string
	PriceCents int64
	Currency   string
	Status     string
	OnHand     int
	Reserved   int
	NoStock    bool // OnHand 0 on purpose
}

// fixtureProduct inserts a product of seller with its inventory row and returns its id.
func (e *testEnv) fixtureProduct(seller account, f productFixture) int64 {
	e.t.Helper()
	if f.Name == "" {
		f.Name = "Product " + randHex(3)
	}
	if f.PriceCents == 0 {
		f.PriceCents = 1000
	}
	if f.Currency == "" {
		f.Currency = "USD"
	}
	if f.Status == "" {
		f.Status = "active"
	}
	if f.OnHand == 0 && !f.NoStock {
		f.OnHand = 10
	}
	if seller.SellerID == nil {
		e.t.Fatalf("fixture product: %s is not a seller", seller.Email)
	}
	ctx := context.Background()
	var categoryID, productID int64
	err := e.Store.Pool.QueryRow(ctx, `
		INSERT INTO categories (name, slug) VALUES ('Fixtures', 'fixtures')
		ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING id`).Scan(&categoryID)
	if err != nil {
		e.t.Fatalf("fixture category: %v", err)
	}
	err = e.Store.Pool.QueryRow(ctx, `
		INSERT INTO products (seller_id, category_id, name, price_cents, currency, status)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		*seller.SellerID, categoryID, f.Name, f.PriceCents, f.Currency, f.Status).Scan(&productID)
	if err != nil {
		e.t.Fatalf("fixture product: %v", err)
	}
	if _, err := e.Store.Pool.Exec(ctx, `INSERT INTO inventory (product_id, on_hand, reserved) VALUES ($1, $2, $3)`,
		productID, f.OnHand, f.Reserved); err != nil {
		e.t.Fatalf("fixture inventory: %v", err)
	}
	return productID
}

// exec runs SQL against the test database, standing in for the catalog and checkout changing
// products behind the cart's back.
func (e *testEnv) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.Store.Pool.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *testEnv) cart(token string) cartBody {
	e.t.Helper()
	var c cartBody
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/cart", Token: token}).JSON(e.t, &c)
	return c
}

func (e *testEnv) putCart(token string, productID int64, quantity int) cartBody {
	e.t.Helper()
	var c cartBody
	e.mustDo(http.StatusOK, req{Method: "PUT", Path: cartItemPath(productID), Token: token,
		Body: map[string]any{"quantity": quantity}}).JSON(e.t, &c)
	return c
}

func cartItemPath(productID int64) string { return fmt.Sprintf("/api/v1/cart/items/%d", productID) }

func TestCartPutItemRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, shopper := e.newSeller(), e.newCustomer()
	active := e.fixtureProduct(seller, productFixture{OnHand: 5, Reserved: 2})
	draft := e.fixtureProduct(seller, productFixture{Status: "draft"})
	archived := e.fixtureProduct(seller, productFixture{Status: "archived"})
	ok := cartItemPath(active)

	cases := []struct {
		name      string
		path      string
		body      any
		wantCode  int
		wantError string
		wantField string // details.fields key, when the error names one
	}{
		{"quantity zero is below the minimum", ok, `{"quantity":0}`, 422, "validation", "quantity"},
		{"negative quantity is below the minimum", ok, `{"quantity":-3}`, 422, "validation", "quantity"},
		{"quantity 1001 is above the maximum", ok, `{"quantity":1001}`, 422, "validation", "quantity"},
		{"huge quantity is above the maximum", ok, `{"quantity":1000000000000}`, 422, "validation", "quantity"},
		{"missing quantity is required", ok, `{}`, 422, "validation", "quantity"},
		{"null quantity is required", ok, `{"quantity":null}`, 422, "validation", "quantity"},
		{"fractional quantity is not an integer", ok, `{"quantity":1.5}`, 400, "invalid", "quantity"},
		{"quantity as a string is not an integer", ok, `{"quantity":"2"}`, 400, "invalid", "quantity"},
		{"quantity beyond any integer is malformed", ok, `{"quantity":100000000000000000000}`, 400, "invalid", "quantity"},
		{"missing body is malformed", ok, nil, 400, "invalid", ""},
		{"whitespace body is malformed", ok, "  \n", 400, "invalid", ""},
		{"unknown field is malformed", ok, `{"quantity":1,"price_cents":1}`, 400, "invalid", "price_cents"},
		{"broken JSON is malformed", ok, `{"quantity":`, 400, "invalid", ""},
		{"array body is malformed", ok, `[1]`, 400, "invalid", ""},
		{"two objects are malformed", ok, `{"quantity":1}{"quantity":2}`, 400, "invalid", ""},
		{"product id that is not a number", "/api/v1/cart/items/abc", `{"quantity":1}`, 400, "invalid", ""},
		{"product id zero", "/api/v1/cart/items/0", `{"quantity":1}`, 400, "invalid", ""},
		{"negative product id", "/api/v1/cart/items/-4", `{"quantity":1}`, 400, "invalid", ""},
		{"product id past int64", "/api/v1/cart/items/99999999999999999999", `{"quantity":1}`, 400, "invalid", ""},
		{"unknown product is not found", cartItemPath(active + 1000), `{"quantity":1}`, 404, "not_found", ""},
		{"draft product is unlisted, so not found", cartItemPath(draft), `{"quantity":1}`, 404, "not_found", ""},
		{"archived product is not for sale", cartItemPath(archived), `{"quantity":1}`, 409, "conflict", ""},
		{"more than available (on hand less reserved)", ok, `{"quantity":4}`, 409, "conflict", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(req{Method: "PUT", Path: tc.path, Body: tc.body, Token: shopper.Token})
			if res.Code != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", res.Code, tc.wantCode, res.Body)
			}
			var body struct {
				Error struct {
					Code    string `json:"code"`
					Details struct {
						Fields map[string]string `json:"fields"`
					} `json:"details"`
				} `json:"error"`
			}
			res.JSON(t, &body)
			if body.Error.Code != tc.wantError {
				t.Errorf("error code %q, want %q: %s", body.Error.Code, tc.wantError, res.Body)
			}
			if _, ok := body.Error.Details.Fields[tc.wantField]; tc.wantField != "" && !ok {
				t.Errorf("details.fields lacks %q: %s", tc.wantField, res.Body)
			}
		})
	}
	if c := e.cart(shopper.Token); len(c.Items) != 0 || c.UpdatedAt != nil {
		t.Errorf("rejected PUTs changed the cart: %+v", c)
	}
}

func TestCartStockLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, shopper := e.newSeller(), e.newCustomer()
	id := e.fixtureProduct(seller, productFixture{OnHand: 5, Reserved: 2}) // 3 can be bought

	res := e.mustDo(http.StatusConflict, req{Method: "PUT", Path: cartItemPath(id), Token: shopper.Token,
		Body: map[string]any{"quantity": 4}})
	var failed struct {
		Error struct {
			Code    string         `json:"code"`
			Details map[string]int `json:"details"`
		} `json:"error"`
	}
	res.JSON(t, &failed)
	if failed.Error.Code != "conflict" || failed.Error.Details["available"] != 3 {
		t.Errorf("want conflict with details.available 3, got %s", res.Body)
	}

	c := e.putCart(shopper.Token, id, 3)
	if l := c.line(t, id); l.Quantity != 3 || l.Available != 3 || !l.InStock {
		t.Errorf("all available units: line %+v, want quantity 3, available 3, in stock", l)
	}

	// Stock sold elsewhere shows at once, and a line can then shrink only to what is left.
	e.exec(`UPDATE inventory SET reserved = 5 WHERE product_id = $1`, id)
	c = e.cart(shopper.Token)
	if l := c.line(t, id); l.Available != 0 || l.InStock {
		t.Errorf("after the stock went: line %+v, want available 0, not in stock", l)
	}
	res = e.mustDo(http.StatusConflict, req{Method: "PUT", Path: cartItemPath(id), Token: shopper.Token,
		Body: map[string]any{"quantity": 1}})
	res.JSON(t, &failed)
	if failed.Error.Details["available"] != 0 {
		t.Errorf("sold out: want details.available 0, got %s", res.Body)
	}
}

func TestCartShowsCurrentPriceAndTotals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, shopper := e.newSeller(), e.newCustomer()
	mug := e.fixtureProduct(seller, productFixture{Name: "Mug", PriceCents: 1000, Currency: "EUR"})
	pen := e.fixtureProduct(seller, productFixture{Name: "Pen", PriceCents: 250, Currency: "EUR"})

	e.putCart(shopper.Token, mug, 2)
	c := e.putCart(shopper.Token, pen, 3)
	if c.ItemCount != 5 || c.SubtotalCents != 2*1000+3*250 || c.Currency == nil || *c.Currency != "EUR" {
		t.Errorf("cart totals: count %d subtotal %d currency %v, want 5, 2750, EUR", c.ItemCount, c.SubtotalCents, c.Currency)
	}
	if got := c.productIDs(); !slices.Equal(got, []int64{mug, pen}) {
		t.Errorf("lines %v, want in the order added %v", got, []int64{mug, pen})
	}

	e.exec(`UPDATE products SET price_cents = 1250 WHERE id = $1`, mug)
	c = e.cart(shopper.Token)
	l := c.line(t, mug)
	if l.Name != "Mug" || l.UnitPriceCents != 1250 || l.LineTotalCents != 2500 || l.Currency != "EUR" || l.Status != "active" {
		t.Errorf("after the price rose: line %+v, want Mug at 1250, total 2500, EUR, active", l)
	}
	if c.SubtotalCents != 2500+750 {
		t.Errorf("after the price rose: subtotal %d, want 3250", c.SubtotalCents)
	}
}

func TestCartPutSetsQuantity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, shopper := e.newSeller(), e.newCustomer()
	id := e.fixtureProduct(seller, productFixture{})

	first := e.putCart(shopper.Token, id, 2).line(t, id)
	c := e.putCart(shopper.Token, id, 5)
	if len(c.Items) != 1 || c.Items[0].Quantity != 5 {
		t.Fatalf("PUT 2 then PUT 5: lines %+v, want one line of 5 (set, not added)", c.Items)
	}
	if !c.Items[0].AddedAt.Equal(first.AddedAt) {
		t.Errorf("added_at moved from %v to %v when only the quantity changed", first.AddedAt, c.Items[0].AddedAt)
	}
	if c.UpdatedAt == nil || c.UpdatedAt.Location() != time.UTC {
		t.Errorf("updated_at %v, want a UTC time", c.UpdatedAt)
	}
}

func TestCartEmpty(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shopper := e.newCustomer()
	res := e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/cart", Token: shopper.Token})
	if want := `{"items":[],"item_count":0,"subtotal_cents":0,"currency":null,"updated_at":null}`; string(res.Body) != want {
		t.Errorf("a customer's first cart is %s, want %s", res.Body, want)
	}
}
