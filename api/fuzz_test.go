package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// The fuzz targets send what a client may send (any body, any query string) through the real
// router over a real database. Whatever the input, the API must answer in its error shape and
// never with a 500 (a handler panic is a 500 too). `go test ./api` replays the seeds below and
// the corpus under testdata/fuzz/<Name>/; `go test -fuzz=<Name> ./api` looks for new inputs.

// fuzzEnv is a shop to fuzz against: a customer, a seller and an active product.
type fuzzEnv struct {
	*testEnv
	customer, seller  account
	category, product int64
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	e := newEnv(f)
	fe := &fuzzEnv{testEnv: e, customer: e.newCustomer(), seller: e.newSeller()}
	admin := e.newAdmin()
	var id struct{ ID int64 }
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/categories", Token: admin.Token,
		Body: map[string]any{"name": "Fuzz " + randHex(3)}}).JSON(f, &id)
	fe.category = id.ID
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/products", Token: fe.seller.Token,
		Body: map[string]any{"category_id": fe.category, "name": "Lamp", "price_cents": 1999, "currency": "USD",
			"status": "active", "on_hand": 1000000}}).JSON(f, &id)
	fe.product = id.ID
	return fe
}

// on is the environment reporting to t, the current input's test.
func (fe *fuzzEnv) on(t *testing.T) *testEnv {
	e := *fe.testEnv
	e.t = t
	return &e
}

// expand replaces $PRODUCT and $CATEGORY in a seed with the shop's ids.
func (fe *fuzzEnv) expand(s string) string {
	return strings.NewReplacer("$PRODUCT", strconv.FormatInt(fe.product, 10),
		"$CATEGORY", strconv.FormatInt(fe.category, 10)).Replace(s)
}

// wantNoServerError fails unless res is a success or a client error in the standard shape.
func wantNoServerError(t *testing.T, what string, res response) {
	t.Helper()
	if res.Code >= 500 {
		t.Fatalf("%s: %d: %s", what, res.Code, res.Body)
	}
	if res.Code >= 400 {
		var b struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(res.Body, &b); err != nil || b.Error.Code == "" || b.Error.Message == "" {
			t.Fatalf("%s: %d is not in the error shape: %s", what, res.Code, res.Body)
		}
	}
}

func FuzzCheckoutBinding(f *testing.F) {
	fe := newFuzzEnv(f)
	address := `"shipping_address": {"name": "Casey", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}`
	for _, seed := range []string{
		`{"items": [{"product_id": $PRODUCT, "quantity": 1}], "payment_method": "pm_card_visa", ` + address + `}`,
		`{"items": [{"product_id": $PRODUCT, "quantity": 1000}, {"product_id": $PRODUCT, "quantity": 1}], "payment_method": "pm_card_visa", ` + address + `}`,
		`{"items": [{"product_id": 9223372036854775807, "quantity": 2147483648}], "payment_method": "x", ` + address + `}`,
		`{"items": [], "payment_method": "pm_card_visa", ` + address + `}`,
		`{"items": null, "payment_method": "\u0000", "shipping_address": null}`,
		`{"items": [{"product_id": -1, "quantity": 1.5}], "payment_method": "pm", "shipping_address": {"country": "ZZ"}}`,
		`[]`, `null`, `{}`, `{"payment_method": 1}`, `{"items": [{}]}`, "{\"payment_method\": \"\xff\"}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		e := fe.on(t)
		res := e.do(req{Method: "POST", Path: "/api/v1/checkout", Token: fe.customer.Token, Body: fe.expand(body),
			Header: map[string]string{"Idempotency-Key": "fuzz-" + randHex(8)}})
		wantNoServerError(t, "checkout", res)
	})
}

func FuzzProductBinding(f *testing.F) {
	fe := newFuzzEnv(f)
	for _, seed := range []string{
		`{"category_id": $CATEGORY, "name": "Desk lamp", "price_cents": 2500, "currency": "EUR", "status": "active", "on_hand": 3}`,
		`{"category_id": $CATEGORY, "name": "Lamp", "price_cents": 0, "currency": "USD", "attributes": {"colour": ["red", {"deep": [1, null, true]}]}}`,
		`{"category_id": 9223372036854775807, "name": "Lamp", "price_cents": 100000000001, "currency": "USD"}`,
		`{"category_id": $CATEGORY, "name": "", "price_cents": -1, "currency": "usd", "on_hand": 2147483648, "low_stock_threshold": -5}`,
		`{"name": null, "description": null, "price_cents": null, "attributes": null}`,
		`{"name": "Lamp\u0000", "attributes": {"\u0000": "x"}}`,
		`{"seller_id": "not-a-uuid", "status": "archived"}`,
		`{"price_cents": 1e30}`, `{"attributes": {"a": 1e400}}`, `[]`, `{}`, `""`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		e := fe.on(t)
		body = fe.expand(body)
		res := e.do(req{Method: "POST", Path: "/api/v1/products", Token: fe.seller.Token, Body: body})
		wantNoServerError(t, "create product", res)
		res = e.do(req{Method: "PATCH", Path: "/api/v1/products/" + strconv.FormatInt(fe.product, 10), Token: fe.seller.Token, Body: body})
		wantNoServerError(t, "update product", res)
	})
}

func FuzzListQuery(f *testing.F) {
	fe := newFuzzEnv(f)
	for _, seed := range []string{
		"", "limit=1", "limit=100&cursor=abc", "limit=0", "limit=101", "limit=-1", "limit=99999999999999999999",
		"q=lamp&sort=price_asc", "q=%00", "q=%C3%28", "q=%", "category_id=$CATEGORY&min_price=0&max_price=9223372036854775807",
		"min_price=9223372036854775808", "seller_id=00000000-0000-0000-0000-000000000000", "in_stock=true&status=draft",
		"cursor=", "cursor=eyJ2IjoxfQ", "limit=1&limit=2", "unknown=1", "unread=true", "status=placed", ";;&&==",
		"q=" + strings.Repeat("a", 300),
	} {
		f.Add(seed)
	}
	lists := []struct {
		path  string
		token string
	}{
		{"/api/v1/products", ""},
		{"/api/v1/categories", ""},
		{"/api/v1/orders", fe.customer.Token},
		{"/api/v1/notifications", fe.customer.Token},
		{"/api/v1/categories/" + strconv.FormatInt(fe.category, 10) + "/top-sellers", ""},
	}
	f.Fuzz(func(t *testing.T, query string) {
		query = fe.expand(query)
		for _, l := range lists {
			// The query is set as is, not parsed from a URL, so any byte string reaches the API.
			hr := httptest.NewRequest(http.MethodGet, l.path, nil)
			hr.URL.RawQuery = query
			if l.token != "" {
				hr.Header.Set("Authorization", "Bearer "+l.token)
			}
			rec := httptest.NewRecorder()
			fe.Server.Handler().ServeHTTP(rec, hr)
			wantNoServerError(t, "GET "+l.path+"?"+query, response{Code: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()})
		}
	})
}
