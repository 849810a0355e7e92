package api_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
)

func TestCartIsPrivateToItsCustomer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, alice, bob := e.newSeller(), e.newCustomer(), e.newCustomer()
	shared := e.fixtureProduct(seller, productFixture{})
	onlyAlice := e.fixtureProduct(seller, productFixture{})
	onlyBob := e.fixtureProduct(seller, productFixture{})

	e.putCart(alice.Token, shared, 1)
	e.putCart(alice.Token, onlyAlice, 2)
	e.putCart(bob.Token, shared, 4)
	e.putCart(bob.Token, onlyBob, 1)
	e.mustDo(http.StatusOK, req{Method: "DELETE", Path: cartItemPath(shared), Token: bob.Token})

	a, b := e.cart(alice.Token), e.cart(bob.Token)
	if got := a.productIDs(); !slices.Equal(got, []int64{shared, onlyAlice}) {
		t.Errorf("alice sees %v, want only her own %v", got, []int64{shared, onlyAlice})
	}
	if a.line(t, shared).Quantity != 1 {
		t.Errorf("bob's PUT or DELETE of the same product changed alice's line: %+v", a.line(t, shared))
	}
	if got := b.productIDs(); !slices.Equal(got, []int64{onlyBob}) {
		t.Errorf("bob sees %v, want only his own %v", got, []int64{onlyBob})
	}

	e.mustDo(http.StatusOK, req{Method: "DELETE", Path: "/api/v1/cart", Token: bob.Token})
	if a := e.cart(alice.Token); len(a.Items) != 2 {
		t.Errorf("bob clearing his cart emptied alice's: %+v", a.Items)
	}
}

func TestCartCurrencyMismatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, shopper := e.newSeller(), e.newCustomer()
	usd := e.fixtureProduct(seller, productFixture{Currency: "USD"})
	usd2 := e.fixtureProduct(seller, productFixture{Currency: "USD"})
	eur := e.fixtureProduct(seller, productFixture{Currency: "EUR"})

	e.putCart(shopper.Token, usd, 1)
	res := e.mustDo(http.StatusConflict, req{Method: "PUT", Path: cartItemPath(eur), Token: shopper.Token,
		Body: map[string]any{"quantity": 1}})
	if code := res.ErrorCode(t); code != "conflict" {
		t.Errorf("EUR product into a USD cart: code %q, want conflict", code)
	}
	e.putCart(shopper.Token, usd2, 1) // same currency still fits

	// Once the cart holds no USD line that can be bought, it takes EUR.
	e.mustDo(http.StatusOK, req{Method: "DELETE", Path: cartItemPath(usd), Token: shopper.Token})
	e.exec(`UPDATE products SET status = 'archived' WHERE id = $1`, usd2)
	c := e.putCart(shopper.Token, eur, 2)
	if c.Currency == nil || *c.Currency != "EUR" || c.SubtotalCents != 2000 {
		t.Errorf("after the USD lines went: currency %v subtotal %d, want EUR 2000", c.Currency, c.SubtotalCents)
	}
}

func TestCartKeepsArchivedLines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, shopper := e.newSeller(), e.newCustomer()
	kept := e.fixtureProduct(seller, productFixture{PriceCents: 500})
	gone := e.fixtureProduct(seller, productFixture{PriceCents: 700})
	e.putCart(shopper.Token, kept, 1)
	e.putCart(shopper.Token, gone, 2)

	e.exec(`UPDATE products SET status = 'archived' WHERE id = $1`, gone)
	c := e.cart(shopper.Token)
	if l := c.line(t, gone); l.Status != "archived" || l.Quantity != 2 {
		t.Errorf("archived line %+v, want it still shown, status archived", l)
	}
	if c.SubtotalCents != 500 {
		t.Errorf("subtotal %d, want 500: only lines that can be bought count", c.SubtotalCents)
	}
	if c.ItemCount != 3 {
		t.Errorf("item_count %d, want 3: every line shown counts", c.ItemCount)
	}
	e.mustDo(http.StatusConflict, req{Method: "PUT", Path: cartItemPath(gone), Token: shopper.Token,
		Body: map[string]any{"quantity": 1}})
}

func TestCartDeleteIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, shopper := e.newSeller(), e.newCustomer()
	a := e.fixtureProduct(seller, productFixture{})
	b := e.fixtureProduct(seller, productFixture{})

	steps := []struct {
		name      string
		method    string
		path      string
		wantLines []int64
	}{
		{"removing from a cart never created", "DELETE", cartItemPath(a), []int64{}},
		{"clearing a cart never created", "DELETE", "/api/v1/cart", []int64{}},
		{"removing a line", "DELETE", cartItemPath(a), []int64{b}},
		{"removing the same line again", "DELETE", cartItemPath(a), []int64{b}},
		{"removing a product that does not exist", "DELETE", cartItemPath(b + 1000), []int64{b}},
		{"clearing the cart", "DELETE", "/api/v1/cart", []int64{}},
		{"clearing it again", "DELETE", "/api/v1/cart", []int64{}},
	}
	for i, st := range steps {
		if i == 2 {
			e.putCart(shopper.Token, a, 1)
			e.putCart(shopper.Token, b, 1)
		}
		var c cartBody
		e.mustDo(http.StatusOK, req{Method: st.method, Path: st.path, Token: shopper.Token}).JSON(t, &c)
		if got := c.productIDs(); !slices.Equal(got, st.wantLines) {
			t.Errorf("%s: lines %v, want %v", st.name, got, st.wantLines)
		}
		if len(st.wantLines) == 0 && (c.Currency != nil || c.ItemCount != 0 || c.SubtotalCents != 0) {
			t.Errorf("%s: empty cart %+v, want currency null and zero totals", st.name, c)
		}
	}
}

// TestCartConcurrentPuts proves that racing requests on one cart, including the ones that
// create it, all succeed and leave one line per product.
func TestCartConcurrentPuts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller := e.newSeller()
	same := e.fixtureProduct(seller, productFixture{OnHand: 100})
	var many []int64
	for range 10 {
		many = append(many, e.fixtureProduct(seller, productFixture{OnHand: 100}))
	}

	t.Run("same product", func(t *testing.T) {
		shopper := e.newCustomer()
		codes := race(20, func(i int) response {
			return e.do(req{Method: "PUT", Path: cartItemPath(same), Token: shopper.Token, Body: map[string]any{"quantity": i + 1}})
		})
		wantAll(t, codes, http.StatusOK)
		c := e.cart(shopper.Token)
		if len(c.Items) != 1 || c.Items[0].Quantity < 1 || c.Items[0].Quantity > 20 {
			t.Errorf("lines %+v, want exactly one with a quantity one of the requests set", c.Items)
		}
	})
	t.Run("different products", func(t *testing.T) {
		shopper := e.newCustomer()
		codes := race(len(many), func(i int) response {
			return e.do(req{Method: "PUT", Path: cartItemPath(many[i]), Token: shopper.Token, Body: map[string]any{"quantity": 1}})
		})
		wantAll(t, codes, http.StatusOK)
		if c := e.cart(shopper.Token); len(c.Items) != len(many) {
			t.Errorf("%d lines, want %d", len(c.Items), len(many))
		}
	})
	t.Run("puts racing deletes", func(t *testing.T) {
		shopper := e.newCustomer()
		codes := race(20, func(i int) response {
			if i%2 == 0 {
				return e.do(req{Method: "DELETE", Path: cartItemPath(same), Token: shopper.Token})
			}
			return e.do(req{Method: "PUT", Path: cartItemPath(same), Token: shopper.Token, Body: map[string]any{"quantity": 1}})
		})
		wantAll(t, codes, http.StatusOK)
		if c := e.cart(shopper.Token); len(c.Items) > 1 {
			t.Errorf("lines %+v, want at most one", c.Items)
		}
	})
}

// race runs n requests at once, released together, and returns their responses.
func race(n int, request func(i int) response) []response {
	out := make([]response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = request(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

func wantAll(t *testing.T, got []response, code int) {
	t.Helper()
	for i, r := range got {
		if r.Code != code {
			t.Errorf("request %d: status %d, want %d: %s", i, r.Code, code, r.Body)
		}
	}
}

// TestCartAndWishlistRoles proves only customers reach carts and wishlists.
func TestCartAndWishlistRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller, admin := e.newSeller(), e.newAdmin()
	id := e.fixtureProduct(seller, productFixture{})
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/cart"},
		{"DELETE", "/api/v1/cart"},
		{"PUT", cartItemPath(id)},
		{"DELETE", cartItemPath(id)},
		{"GET", "/api/v1/wishlist"},
		{"PUT", wishlistItemPath(id)},
		{"DELETE", wishlistItemPath(id)},
	}
	callers := []struct {
		who, token string
		wantCode   int
		wantError  string
	}{
		{"anonymous is unauthorized", "", 401, "unauthorized"},
		{"a seller is forbidden", seller.Token, 403, "forbidden"},
		{"an admin is forbidden", admin.Token, 403, "forbidden"},
		{"a bad token is unauthorized", "not-a-token", 401, "unauthorized"},
	}
	for _, who := range callers {
		for _, r := range routes {
			t.Run(who.who+"/"+r.method+" "+r.path, func(t *testing.T) {
				var body any
				if r.method == "PUT" {
					body = map[string]any{"quantity": 1}
				}
				res := e.do(req{Method: r.method, Path: r.path, Token: who.token, Body: body})
				if res.Code != who.wantCode || res.ErrorCode(t) != who.wantError {
					t.Errorf("status %d, want %d %s: %s", res.Code, who.wantCode, who.wantError, res.Body)
				}
			})
		}
	}
}
