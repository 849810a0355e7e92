package api_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestDocumentedTextLimitsAreEnforced reads each text field's maxLength from api/openapi.yaml
// and sends it exactly that long (accepted, or refused for another field's sake but never for
// its length) and one character longer (422 naming it): the limits the document promises are
// the limits the code enforces, whichever of the two changes.
func TestDocumentedTextLimitsAreEnforced(t *testing.T) {
	e := newEnv(t)
	customer, seller, admin := e.newCustomer(), e.newSeller(), e.newAdmin()
	var cat struct{ ID int64 }
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/categories", Token: admin.Token,
		Body: map[string]any{"name": "Limits"}}).JSON(t, &cat)
	doc, _, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	address := map[string]any{"name": "Casey", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}
	cases := []struct {
		schema, path, token string
		base                map[string]any
		fields              []string
		nested              string // the fields are inside this object of base
	}{
		{"RegisterRequest", "/api/v1/auth/register", "", map[string]any{"email": "l@example.com", "password": "a-long-password-1"},
			[]string{"name"}, ""},
		{"CategoryCreate", "/api/v1/categories", admin.Token, map[string]any{"name": "x"}, []string{"name"}, ""},
		{"ProductCreate", "/api/v1/products", seller.Token,
			map[string]any{"category_id": cat.ID, "name": "Lamp", "price_cents": 1, "currency": "USD"}, []string{"name", "description"}, ""},
		{"APIKeyCreate", "/api/v1/admin/api-keys", admin.Token, map[string]any{"name": "feed"}, []string{"name"}, ""},
		{"CheckoutRequest", "/api/v1/checkout", customer.Token,
			map[string]any{"payment_method": "pm_card_visa", "shipping_address": address}, []string{"payment_method"}, ""},
		{"ShippingAddress", "/api/v1/checkout", customer.Token,
			map[string]any{"payment_method": "pm_card_visa", "shipping_address": address},
			[]string{"name", "line1", "line2", "city", "region", "postal_code"}, "shipping_address"},
	}
	for _, tc := range cases {
		schema := doc.Components.Schemas[tc.schema]
		if schema == nil {
			t.Fatalf("no schema %s in api/openapi.yaml", tc.schema)
		}
		for _, field := range tc.fields {
			limit := maxLength(t, schema.Value, field)
			name := field
			if tc.nested != "" {
				name = tc.nested + "." + field
			}
			t.Run(tc.schema+"."+field, func(t *testing.T) {
				e.t = t
				for _, n := range []uint64{limit, limit + 1} {
					// Multi-byte letters: limits count characters, as the document says.
					body := withField(tc.base, tc.nested, field, strings.Repeat("é", int(n)))
					res := e.do(req{Method: "POST", Path: tc.path, Token: tc.token, Body: body,
						Header: map[string]string{"Idempotency-Key": "k-" + randHex(6)}})
					var b struct {
						Error struct {
							Details struct{ Fields map[string]string }
						}
					}
					if res.Code >= 400 {
						res.JSON(t, &b)
					}
					refused := res.Code == http.StatusUnprocessableEntity && b.Error.Details.Fields[name] != ""
					if n == limit && refused {
						t.Errorf("%s of %d characters (the documented maximum) is refused: %s", name, n, res.Body)
					}
					if n > limit && !refused {
						t.Errorf("%s of %d characters (over the documented %d) is not refused with 422 naming it: %d %s",
							name, n, limit, res.Code, res.Body)
					}
				}
			})
		}
	}
}

// maxLength is the documented maxLength of a schema's property.
func maxLength(t *testing.T, s *openapi3.Schema, field string) uint64 {
	t.Helper()
	p := s.Properties[field]
	if p == nil || p.Value.MaxLength == nil {
		t.Fatalf("property %s has no maxLength in api/openapi.yaml", field)
	}
	return *p.Value.MaxLength
}

// withField is a copy of base with field set to v, in base[nested] when nested is not "".
func withField(base map[string]any, nested, field, v string) map[string]any {
	out := maps.Clone(base)
	if nested == "" {
		out[field] = v
		return out
	}
	inner := maps.Clone(base[nested].(map[string]any))
	inner[field] = v
	out[nested] = inner
	return out
}
