package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// wishlistBody is the Wishlist schema as a client reads it.
type wishlistBody struct {
	Items     []wishlistLine `json:"items"`
	UpdatedAt *time.Time     `json:"updated_at"`
}

type wishlistLine struct {
	ProductID      int64     `json:"product_id"`
	Name           string    `json:"name"`
	Quantity       int       `json:"quantity"`
	UnitPriceCents int64     `json:"unit_price_cents"`
	Currency       string    `json:"currency"`
	Available      int       `json:"available"`
	InStock        bool      `json:"in_stock"`
	Status         string    `json:"status"`
	AddedAt        time.Time `json:"added_at"`
}

func (w wishlistBody) productIDs() []int64 {
	ids := []int64{}
	for _, l := range w.Items {
		ids = append(ids, l.ProductID)
	}
	return ids
}

func wishlistItemPath(productID int64) string {
	return fmt.Sprintf("/api/v1/wishlist/items/%d", productID)
}

func (e *testEnv) wishlist(token string) wishlistBody {
	e.t.Helper()
	var w wishlistBody
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/wishlist", Token: token}).JSON(e.t, &w)
	return w
}

func TestWishlistPutItem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, shopper := e.newSeller(), e.newCustomer()
	id := e.fixtureProduct(seller, productFixture{Name: "Lamp", PriceCents: 4200, Currency: "GBP"})
	soldOut := e.fixtureProduct(seller, productFixture{NoStock: true})
	draft := e.fixtureProduct(seller, productFixture{Status: "draft"})
	archived := e.fixtureProduct(seller, productFixture{Status: "archived"})
	path := wishlistItemPath(id)

	cases := []struct {
		name         string
		path         string
		body         any
		wantCode     int
		wantError    string // for failures
		wantQuantity int    // of the line at path, for successes
	}{
		{"no body means one", path, nil, 200, "", 1},
		{"a quantity is set, not added", path, `{"quantity":3}`, 200, "", 3},
		{"whitespace body means one", path, " \n", 200, "", 1},
		{"empty object means one", path, `{}`, 200, "", 1},
		{"null quantity means one", path, `{"quantity":null}`, 200, "", 1},
		{"the maximum is allowed", path, `{"quantity":1000}`, 200, "", 1000},
		{"a sold-out product can be wished for", wishlistItemPath(soldOut), nil, 200, "", 1},
		{"quantity zero is below the minimum", path, `{"quantity":0}`, 422, "validation", 0},
		{"negative quantity is below the minimum", path, `{"quantity":-1}`, 422, "validation", 0},
		{"quantity 1001 is above the maximum", path, `{"quantity":1001}`, 422, "validation", 0},
		{"quantity as a string is malformed", path, `{"quantity":"1"}`, 400, "invalid", 0},
		{"unknown field is malformed", path, `{"qty":1}`, 400, "invalid", 0},
		{"broken JSON is malformed", path, `{"quantity"`, 400, "invalid", 0},
		{"product id that is not a number", "/api/v1/wishlist/items/x1", nil, 400, "invalid", 0},
		{"product id zero", "/api/v1/wishlist/items/0", nil, 400, "invalid", 0},
		{"unknown product is not found", wishlistItemPath(id + 1000), nil, 404, "not_found", 0},
		{"draft product is not found", wishlistItemPath(draft), nil, 404, "not_found", 0},
		{"archived product is not found", wishlistItemPath(archived), nil, 404, "not_found", 0},
	}
	for _, tc := range cases { // in order: each success leaves the line as the next row expects
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(req{Method: "PUT", Path: tc.path, Body: tc.body, Token: shopper.Token})
			if res.Code != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", res.Code, tc.wantCode, res.Body)
			}
			if tc.wantCode != 200 {
				if code := res.ErrorCode(t); code != tc.wantError {
					t.Errorf("error code %q, want %q", code, tc.wantError)
				}
				return
			}
			var w wishlistBody
			res.JSON(t, &w)
			for _, l := range w.Items {
				if wishlistItemPath(l.ProductID) == tc.path && l.Quantity != tc.wantQuantity {
					t.Errorf("quantity %d, want %d", l.Quantity, tc.wantQuantity)
				}
			}
		})
	}

	w := e.wishlist(shopper.Token)
	if got := w.productIDs(); !slices.Equal(got, []int64{id, soldOut}) {
		t.Fatalf("wishlist holds %v, want %v", got, []int64{id, soldOut})
	}
	if l := w.Items[0]; l.Name != "Lamp" || l.UnitPriceCents != 4200 || l.Currency != "GBP" || l.Status != "active" || !l.InStock {
		t.Errorf("line %+v, want Lamp, 4200 GBP, active, in stock", l)
	}
	if l := w.Items[1]; l.Available != 0 || l.InStock {
		t.Errorf("sold-out line %+v, want available 0, not in stock", l)
	}
}

func TestWishlistShowsCurrentState(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, shopper := e.newSeller(), e.newCustomer()
	id := e.fixtureProduct(seller, productFixture{PriceCents: 900, OnHand: 2})
	e.mustDo(http.StatusOK, req{Method: "PUT", Path: wishlistItemPath(id), Token: shopper.Token})

	e.exec(`UPDATE products SET price_cents = 800, status = 'archived' WHERE id = $1`, id)
	e.exec(`UPDATE inventory SET on_hand = 7, reserved = 1 WHERE product_id = $1`, id)
	w := e.wishlist(shopper.Token)
	if len(w.Items) != 1 {
		t.Fatalf("wishlist %+v, want the archived product still shown", w.Items)
	}
	if l := w.Items[0]; l.UnitPriceCents != 800 || l.Status != "archived" || l.Available != 6 {
		t.Errorf("line %+v, want the current price 800, status archived, available 6", l)
	}
}

func TestWishlistIsPrivateToItsCustomer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, alice, bob := e.newSeller(), e.newCustomer(), e.newCustomer()
	a := e.fixtureProduct(seller, productFixture{})
	b := e.fixtureProduct(seller, productFixture{})
	e.mustDo(http.StatusOK, req{Method: "PUT", Path: wishlistItemPath(a), Token: alice.Token})
	e.mustDo(http.StatusOK, req{Method: "PUT", Path: wishlistItemPath(b), Token: bob.Token})
	e.mustDo(http.StatusOK, req{Method: "DELETE", Path: wishlistItemPath(a), Token: bob.Token})

	if got := e.wishlist(alice.Token).productIDs(); !slices.Equal(got, []int64{a}) {
		t.Errorf("alice sees %v, want only her own [%d]", got, a)
	}
	if got := e.wishlist(bob.Token).productIDs(); !slices.Equal(got, []int64{b}) {
		t.Errorf("bob sees %v, want only his own [%d]", got, b)
	}
	// The wishlist and the cart are separate lists.
	if c := e.cart(alice.Token); len(c.Items) != 0 {
		t.Errorf("wishing put lines in the cart: %+v", c.Items)
	}
}

func TestWishlistDeleteIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, shopper := e.newSeller(), e.newCustomer()
	a := e.fixtureProduct(seller, productFixture{})
	b := e.fixtureProduct(seller, productFixture{})

	var w wishlistBody
	e.mustDo(http.StatusOK, req{Method: "DELETE", Path: wishlistItemPath(a), Token: shopper.Token}).JSON(t, &w)
	if len(w.Items) != 0 || w.UpdatedAt != nil {
		t.Errorf("removing from a wishlist never created: %+v, want empty with updated_at null", w)
	}
	e.mustDo(http.StatusOK, req{Method: "PUT", Path: wishlistItemPath(a), Token: shopper.Token})
	e.mustDo(http.StatusOK, req{Method: "PUT", Path: wishlistItemPath(b), Token: shopper.Token})
	for _, name := range []string{"removing a line", "removing it again"} {
		w = wishlistBody{}
		e.mustDo(http.StatusOK, req{Method: "DELETE", Path: wishlistItemPath(a), Token: shopper.Token}).JSON(t, &w)
		if got := w.productIDs(); !slices.Equal(got, []int64{b}) {
			t.Errorf("%s: wishlist %v, want [%d]", name, got, b)
		}
	}
}

func TestWishlistConcurrentPuts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, shopper := e.newSeller(), e.newCustomer()
	id := e.fixtureProduct(seller, productFixture{})
	codes := race(20, func(i int) response {
		return e.do(req{Method: "PUT", Path: wishlistItemPath(id), Token: shopper.Token, Body: map[string]any{"quantity": i + 1}})
	})
	wantAll(t, codes, http.StatusOK)
	if w := e.wishlist(shopper.Token); len(w.Items) != 1 {
		t.Errorf("lines %+v, want exactly one", w.Items)
	}
}
