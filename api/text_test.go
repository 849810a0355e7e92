package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestTextPostgresCannotHoldIsRefused sends, on each route that stores or searches text, valid
// JSON or a query string carrying text Postgres refuses (a NUL character, invalid UTF-8): each
// is a 400 naming the field or parameter, where it used to reach the database as a 500.
func TestTextPostgresCannotHoldIsRefused(t *testing.T) {
	e := newEnv(t)
	customer, seller, admin := e.newCustomer(), e.newSeller(), e.newAdmin()
	cat := e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/categories", Token: admin.Token,
		Body: map[string]any{"name": "Lamps " + randHex(3)}})
	var category struct{ ID int64 }
	cat.JSON(t, &category)
	product := func(field, value string) string {
		return `{"category_id": ` + strconv.FormatInt(category.ID, 10) + `, "name": "Lamp", "price_cents": 100, "currency": "USD", ` +
			`"` + field + `": ` + value + `}`
	}
	prod := e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/products", Token: seller.Token,
		Body: map[string]any{"category_id": category.ID, "name": "Lamp", "price_cents": 100, "currency": "USD",
			"status": "active", "on_hand": 10}})
	var p struct{ ID int64 }
	prod.JSON(t, &p)
	items := `"items": [{"product_id": ` + strconv.FormatInt(p.ID, 10) + `, "quantity": 1}], `
	notifyFile := func(body string) req {
		return req{Method: "POST", Path: "/api/v1/admin/notifications/files", Token: admin.Token, Body: body,
			Header: map[string]string{"Content-Type": "application/x-ndjson"}}
	}
	address := `{"name": "Casey", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}`
	cases := []struct {
		name  string
		r     req
		field string // in details.fields; "" for a parameter
		param string // in details.parameter
	}{
		{"login email with NUL", req{Method: "POST", Path: "/api/v1/auth/login",
			Body: `{"email": "a\u0000@example.com", "password": "whatever-pass"}`}, "email", ""},
		{"login password with invalid UTF-8", req{Method: "POST", Path: "/api/v1/auth/login",
			Body: "{\"email\": \"a@example.com\", \"password\": \"pass\xff\xfeword\"}"}, "password", ""},
		{"registration name with NUL", req{Method: "POST", Path: "/api/v1/auth/register",
			Body: `{"email": "n@example.com", "password": "a-long-password-1", "name": "Ca\u0000sey"}`}, "name", ""},
		{"category name with NUL", req{Method: "POST", Path: "/api/v1/categories", Token: admin.Token,
			Body: `{"name": "Lamps\u0000"}`}, "name", ""},
		{"category patch with invalid UTF-8", req{Method: "PATCH", Path: "/api/v1/categories/" + strconv.FormatInt(category.ID, 10), Token: admin.Token,
			Body: "{\"name\": \"\xc3\x28\"}"}, "name", ""},
		{"product description with NUL", req{Method: "POST", Path: "/api/v1/products", Token: seller.Token,
			Body: product("description", `"bright\u0000"`)}, "description", ""},
		{"product attribute value with NUL", req{Method: "POST", Path: "/api/v1/products", Token: seller.Token,
			Body: product("attributes", `{"colour": ["red", "gr\u0000een"]}`)}, "attributes.colour[1]", ""},
		{"checkout address with NUL", req{Method: "POST", Path: "/api/v1/checkout", Token: customer.Token,
			Header: map[string]string{"Idempotency-Key": "k-" + randHex(6)},
			Body:   `{` + items + `"payment_method": "pm_card_visa", "shipping_address": ` + strings.Replace(address, "Main", `Ma\u0000in`, 1) + `}`},
			"shipping_address.line1", ""},
		{"checkout payment method with invalid UTF-8", req{Method: "POST", Path: "/api/v1/checkout", Token: customer.Token,
			Header: map[string]string{"Idempotency-Key": "k-" + randHex(6)},
			Body:   "{" + items + "\"payment_method\": \"pm_\xff\", \"shipping_address\": " + address + "}"}, "payment_method", ""},
		{"API key name with NUL", req{Method: "POST", Path: "/api/v1/admin/api-keys", Token: admin.Token,
			Body: `{"name": "feed\u0000"}`}, "name", ""},
		{"notification file message with NUL", notifyFile(`{"recipient":"` + customer.ID + `","channel":"inapp","message":"Hi\u0000"}` + "\n"),
			"", "file"},
		{"notification file message with invalid UTF-8", notifyFile(`{"recipient":"` + customer.ID + `","channel":"inapp","message":"Hi` + "\xff" + `"}` + "\n"),
			"", "file"},
		{"product search with NUL", req{Method: "GET", Path: "/api/v1/products?q=lamp%00"}, "", "q"},
		{"product search with invalid UTF-8", req{Method: "GET", Path: "/api/v1/products?q=%C3%28"}, "", "q"},
		{"over-long cursor", req{Method: "GET", Path: "/api/v1/products?cursor=" + strings.Repeat("a", 5000)}, "", "cursor"},
		{"order list filter with NUL", req{Method: "GET", Path: "/api/v1/orders?status=placed%00", Token: customer.Token}, "", "status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			res := e.do(tc.r)
			var body struct {
				Error struct {
					Code    string
					Details struct {
						Fields    map[string]string
						Parameter string
					}
				}
			}
			res.JSON(t, &body)
			if res.Code != http.StatusBadRequest {
				t.Fatalf("%d, want 400: %s", res.Code, res.Body)
			}
			if tc.field != "" && body.Error.Details.Fields[tc.field] == "" {
				t.Errorf("details.fields does not name %s: %s", tc.field, res.Body)
			}
			if tc.param != "" && body.Error.Details.Parameter != tc.param {
				t.Errorf("details.parameter is not %s: %s", tc.param, res.Body)
			}
		})
	}
}
