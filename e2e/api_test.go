package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"shopflow/auth"
	"shopflow/store"
)

// request is one API call; body is sent as JSON unless it is already []byte.
type request struct {
	method, path string
	token        string
	key          string // Idempotency-Key
	body         any
}

// send makes one API call. It never fails the test, so goroutines may use it.
func (e *env) send(r request) (int, []byte, error) {
	code, a, err := e.sendRaw(r)
	return code, a.body, err
}

// answer is a response's headers and body.
type answer struct {
	header http.Header
	body   []byte
}

// sendRaw is send that also returns the response's headers. A body given as []byte is sent
// as it is; anything else as JSON.
func (e *env) sendRaw(r request) (int, answer, error) {
	var body io.Reader
	if r.body != nil {
		raw, ok := r.body.([]byte)
		if !ok {
			var err error
			if raw, err = json.Marshal(r.body); err != nil {
				return 0, answer{}, err
			}
		}
		body = bytes.NewReader(raw)
	}
	hr, err := http.NewRequest(r.method, e.api.URL+r.path, body)
	if err != nil {
		return 0, answer{}, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.key != "" {
		hr.Header.Set("Idempotency-Key", r.key)
	}
	res, err := e.http.Do(hr)
	if err != nil {
		return 0, answer{}, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, answer{}, fmt.Errorf("%s %s: read body: %w", r.method, r.path, err)
	}
	return res.StatusCode, answer{header: res.Header, body: out}, nil
}

// mustSend is send that fails the test unless the status is one of want, decoding the body
// into out when out is not nil.
func (e *env) mustSend(r request, out any, want ...int) int {
	e.t.Helper()
	code, body, err := e.send(r)
	if err != nil {
		e.t.Fatal(err)
	}
	ok := false
	for _, w := range want {
		ok = ok || code == w
	}
	if !ok {
		e.t.Fatalf("%s %s: status %d, want %v: %s", r.method, r.path, code, want, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			e.t.Fatalf("%s %s: answer is not the expected JSON (%v): %s", r.method, r.path, err, body)
		}
	}
	return code
}

// account is a logged-in user.
type account struct {
	ID    string
	Token string
}

// newCustomer registers a customer through the API and logs it in.
func (e *env) newCustomer() account {
	e.t.Helper()
	email := "c-" + randHex(6) + "@example.com"
	e.mustSend(request{method: "POST", path: "/api/v1/auth/register",
		body: map[string]string{"email": email, "password": "a-long-password-1", "name": "Casey Shopper"}}, nil, http.StatusCreated)
	return e.login(email, "a-long-password-1")
}

// newCustomers registers n customers.
func (e *env) newCustomers(n int) []account {
	e.t.Helper()
	out := make([]account, n)
	for i := range out {
		out[i] = e.newCustomer()
	}
	return out
}

func (e *env) login(email, password string) account {
	e.t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
		User        struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	e.mustSend(request{method: "POST", path: "/api/v1/auth/login",
		body: map[string]string{"email": email, "password": password}}, &tok, http.StatusOK)
	return account{ID: tok.User.ID, Token: tok.AccessToken}
}

// newProduct lists an active product with onHand units in stock, through the API, as the
// env's seller in the env's category (both made on first use).
func (e *env) newProduct(onHand int, priceCents int64) int64 {
	e.t.Helper()
	c := &e.catalog
	c.once.Do(func() {
		admin := e.newAdmin()
		var cat struct {
			ID int64 `json:"id"`
		}
		e.mustSend(request{method: "POST", path: "/api/v1/categories", token: admin.Token,
			body: map[string]string{"name": "Flash " + randHex(4)}}, &cat, http.StatusCreated)
		c.category = cat.ID
		sellerEmail := "s-" + randHex(6) + "@example.com"
		e.mustSend(request{method: "POST", path: "/api/v1/auth/register", body: map[string]string{
			"email": sellerEmail, "password": "a-long-password-1", "role": "seller", "store_name": "Store " + randHex(4)}}, nil, http.StatusCreated)
		c.seller = e.login(sellerEmail, "a-long-password-1")
	})
	var p struct {
		ID int64 `json:"id"`
	}
	e.mustSend(request{method: "POST", path: "/api/v1/products", token: c.seller.Token, body: map[string]any{
		"category_id": c.category, "name": "Product " + randHex(4), "price_cents": priceCents, "currency": "USD",
		"status": "active", "on_hand": onHand,
	}}, &p, http.StatusCreated)
	return p.ID
}

// --- checkout contract ---

// Test payment methods of the sandbox.
const (
	cardVisa     = "pm_card_visa"
	cardDeclined = "pm_card_visa_chargeDeclined"
	card3DS      = "pm_card_authenticationRequired"
)

type line struct {
	ProductID int64 `json:"product_id"`
	Quantity  int   `json:"quantity"`
}

type address struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

type checkoutRequest struct {
	Items           []line  `json:"items"`
	PaymentMethod   string  `json:"payment_method"`
	ShippingAddress address `json:"shipping_address"`
}

func checkoutOf(card string, lines ...line) checkoutRequest {
	return checkoutRequest{Items: lines, PaymentMethod: card,
		ShippingAddress: address{Name: "Casey Shopper", Line1: "1 Main St", City: "Springfield", PostalCode: "12345", Country: "US"}}
}

type checkoutResponse struct {
	Order     order  `json:"order"`
	StatusURL string `json:"status_url"`
}

// order is the part of GET /api/v1/orders/{id} the tests read.
type order struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	CancelReason string `json:"cancel_reason"`
	Payment      *struct {
		IntentID string `json:"intent_id"`
		Status   string `json:"status"`
	} `json:"payment"`
	Lines    []json.RawMessage `json:"lines"`
	Timeline []json.RawMessage `json:"timeline"`
}

// intentID is the order's payment intent, or "" when it has none yet.
func (o order) intentID() string {
	if o.Payment == nil {
		return ""
	}
	return o.Payment.IntentID
}

// postCheckout sends POST /api/v1/checkout; it never fails the test, so goroutines may use it.
func (e *env) postCheckout(cust account, key string, body any) (int, checkoutResponse, []byte, error) {
	code, raw, err := e.send(request{method: "POST", path: "/api/v1/checkout", token: cust.Token, key: key, body: body})
	if err != nil {
		return 0, checkoutResponse{}, nil, err
	}
	var res checkoutResponse
	if code == http.StatusAccepted {
		if err := json.Unmarshal(raw, &res); err != nil || res.Order.ID == "" {
			return code, res, raw, fmt.Errorf("POST /api/v1/checkout: 202 without an order (%v): %s", err, raw)
		}
	}
	return code, res, raw, nil
}

// checkout checks out as cust with a fresh Idempotency-Key, expecting 202 and a pending order.
func (e *env) checkout(cust account, req checkoutRequest) order {
	e.t.Helper()
	code, res, raw, err := e.postCheckout(cust, "key-"+randHex(8), req)
	if err != nil {
		e.t.Fatal(err)
	}
	if code != http.StatusAccepted {
		e.t.Fatalf("POST /api/v1/checkout: status %d, want 202: %s", code, raw)
	}
	if res.StatusURL == "" {
		e.t.Errorf("POST /api/v1/checkout: no status_url: %s", raw)
	}
	return res.Order
}

// order reads the order through the API as its customer.
func (e *env) order(cust account, id string) order {
	e.t.Helper()
	var o order
	e.mustSend(request{method: "GET", path: "/api/v1/orders/" + id, token: cust.Token}, &o, http.StatusOK)
	return o
}

// completePayment finishes a 3-D Secure payment through the dev endpoint, as the shopper would.
func (e *env) completePayment(cust account, intentID string, succeed bool) {
	e.t.Helper()
	e.mustSend(request{method: "POST", path: "/api/v1/dev/payments/" + intentID + "/complete",
		token: cust.Token, body: map[string]bool{"succeed": succeed}}, nil, http.StatusOK)
}

// cancelOrder cancels the order as its customer; the answer (200) comes once the saga settled it.
func (e *env) cancelOrder(cust account, id string) {
	e.t.Helper()
	e.mustSend(request{method: "POST", path: "/api/v1/orders/" + id + "/cancel", token: cust.Token}, nil, http.StatusOK)
}

// newAdmin creates an admin the way operators do (there is no API for it), and logs it in.
func (e *env) newAdmin() account {
	e.t.Helper()
	email := "a-" + randHex(6) + "@example.com"
	pw, err := auth.NewPasswords(4)
	if err != nil {
		e.t.Fatal(err)
	}
	hash, err := pw.Hash("an-admin-password-1")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := store.New(e.db).EnsureAdmin(context.Background(), email, hash); err != nil {
		e.t.Fatal(err)
	}
	return e.login(email, "an-admin-password-1")
}
