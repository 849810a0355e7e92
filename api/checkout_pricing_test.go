package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
)

// pricedShop seeds pricing with SQL (the admin API has tests of its own): Germany ships
// standard (flat 490, free from 5000) or express (weight 990 + 150 per started kg), 19% VAT
// on goods and shipping; coupons TENOFF (10%), EXPIRED (ended), USEDUP (no use left), EURO
// (fixed, EUR only). The database is this test's own, so other tests see no pricing.
func pricedShop(e *testEnv) {
	e.t.Helper()
	for _, sql := range []string{
		`WITH z AS (INSERT INTO shipping_zones (name) VALUES ('Germany') RETURNING id),
		 c AS (INSERT INTO shipping_zone_countries (country, zone_id) SELECT 'DE', id FROM z)
		 INSERT INTO shipping_methods (zone_id, code, name, kind, currency, price_cents, per_kg_cents, free_over_cents)
		 SELECT id, 'standard', 'Standard', 'flat', 'USD', 490, 0, 5000 FROM z UNION ALL
		 SELECT id, 'express', 'Express', 'weight', 'USD', 990, 150, NULL FROM z`,
		`INSERT INTO tax_rates (country, tax_class, rate_ppm) VALUES ('DE', 'standard', 190000), ('DE', 'shipping', 190000)`,
		`INSERT INTO promotions (name, code, kind, percent_bp) VALUES ('Ten off', 'TENOFF', 'percent', 1000)`,
		`INSERT INTO promotions (name, code, kind, percent_bp, starts_at, ends_at)
		 VALUES ('Gone', 'EXPIRED', 'percent', 1000, now() - interval '2 days', now() - interval '1 day')`,
		`INSERT INTO promotions (name, code, kind, percent_bp, usage_limit, uses) VALUES ('Used', 'USEDUP', 'percent', 1000, 1, 1)`,
		`INSERT INTO promotions (name, code, kind, amount_cents, currency) VALUES ('Euro', 'EURO', 'fixed', 500, 'EUR')`,
	} {
		if _, err := e.Store.Pool.Exec(context.Background(), sql); err != nil {
			e.t.Fatal(err)
		}
	}
}

type quoteView struct {
	TotalCents      int64 `json:"total_cents"`
	SubtotalCents   int64 `json:"subtotal_cents"`
	DiscountCents   int64 `json:"discount_cents"`
	ShippingCents   int64 `json:"shipping_cents"`
	TaxCents        int64 `json:"tax_cents"`
	ShippingMethod  string
	ShippingOptions []struct {
		Code          string `json:"code"`
		ShippingCents int64  `json:"shipping_cents"`
	} `json:"shipping_options"`
	Promotion *struct {
		Code string `json:"code"`
	} `json:"promotion"`
}

// TestQuoteAndCheckoutChargeTheSame: the quote prices shipping, the coupon and VAT, and the
// checkout of the same body stores exactly those numbers; a stale expected total is refused.
func TestQuoteAndCheckoutChargeTheSame(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pricedShop(e)
	seller, buyer := e.newSeller(), e.newCustomer()
	p := e.fixtureProduct(seller, productFixture{PriceCents: 1999})
	body := coBody([]map[string]any{coItem(p, 2)})
	body["coupon"] = "tenoff"

	var q quoteView
	e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/checkout/quote", Token: buyer.Token, Body: body}).JSON(t, &q)
	// 3998 - 10% (399.8 -> 400) = 3598; standard 490 (under 5000); VAT 19% of 3598 = 683.62 -> 684,
	// of 490 = 93.1 -> 93.
	if q.SubtotalCents != 3998 || q.DiscountCents != 400 || q.ShippingCents != 490 || q.TaxCents != 684+93 ||
		q.TotalCents != 3598+490+777 || q.Promotion == nil || q.Promotion.Code != "TENOFF" || len(q.ShippingOptions) != 2 {
		t.Fatalf("quote %+v", q)
	}

	stale := cloneBody(body)
	stale["expected_total_cents"] = q.TotalCents - 1
	if res := e.checkout(buyer.Token, "k-stale", stale); res.Code != http.StatusConflict || res.ErrorCode(t) != "conflict" {
		t.Fatalf("checkout with a stale total: %d %s", res.Code, res.Body)
	}
	body["expected_total_cents"] = q.TotalCents
	res := e.checkout(buyer.Token, "k-1", body)
	if res.Code != http.StatusAccepted {
		t.Fatalf("checkout: %d %s", res.Code, res.Body)
	}
	var cv checkoutView
	res.JSON(t, &cv)
	var stored struct {
		TotalCents    int64 `json:"total_cents"`
		DiscountCents int64 `json:"discount_cents"`
		TaxCents      int64 `json:"tax_cents"`
		ShippingCents int64 `json:"shipping_cents"`
		Lines         []struct {
			DiscountCents int64 `json:"discount_cents"`
			TaxCents      int64 `json:"tax_cents"`
		} `json:"lines"`
		Shipments []struct {
			Method   string `json:"method"`
			TaxCents int64  `json:"tax_cents"`
		} `json:"shipments"`
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/orders/" + cv.Order.ID, Token: buyer.Token}).JSON(t, &stored)
	if stored.TotalCents != q.TotalCents || stored.DiscountCents != 400 || stored.TaxCents != 777 || stored.ShippingCents != 490 ||
		len(stored.Lines) != 1 || stored.Lines[0].DiscountCents != 400 || stored.Lines[0].TaxCents != 684 ||
		len(stored.Shipments) != 1 || stored.Shipments[0].Method != "standard" || stored.Shipments[0].TaxCents != 93 {
		t.Fatalf("stored order %+v, quote %+v", stored, q)
	}
	amount, err := e.Store.OrderAmountOf(context.Background(), cv.Order.ID)
	if err != nil || amount.TotalCents != q.TotalCents {
		t.Fatalf("the saga would charge %+v (%v), quoted %d", amount, err, q.TotalCents)
	}
}

// TestPricingRejectsBadInput: coupons that cannot apply, a country not shipped to and a method
// not offered are 4xx with the error shape on both the quote and the checkout, and the
// checkout writes nothing and leaves the cart alone.
func TestPricingRejectsBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pricedShop(e)
	seller, buyer := e.newSeller(), e.newCustomer()
	p := e.fixtureProduct(seller, productFixture{PriceCents: 1999})
	e.putCart(buyer.Token, p, 1)
	cartBefore := e.cart(buyer.Token)
	with := func(key string, value any) map[string]any {
		b := coBody(nil) // the cart
		if key == "country" {
			b["shipping_address"].(map[string]any)["country"] = value
		} else {
			b[key] = value
		}
		return b
	}
	cases := []struct {
		name   string
		body   map[string]any
		status int
		field  string
		reason string
	}{
		{"unknown coupon", with("coupon", "NOSUCH"), http.StatusUnprocessableEntity, "coupon", "unknown"},
		{"expired coupon", with("coupon", "EXPIRED"), http.StatusUnprocessableEntity, "coupon", "expired"},
		{"used-up coupon", with("coupon", "USEDUP"), http.StatusConflict, "coupon", "used_up"},
		{"coupon in another currency", with("coupon", "EURO"), http.StatusUnprocessableEntity, "coupon", "currency"},
		{"method not offered", with("shipping_method", "overnight"), http.StatusUnprocessableEntity, "shipping_method", ""},
		{"country not shipped to", with("country", "FR"), http.StatusUnprocessableEntity, "shipping_address.country", ""},
		{"coupon too long", with("coupon", string(make([]byte, 41))), http.StatusBadRequest, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := coEnv(e, t)
			for _, path := range []string{"/api/v1/checkout/quote", "/api/v1/checkout"} {
				res := e.do(req{Method: "POST", Path: path, Token: buyer.Token, Body: tc.body,
					Header: map[string]string{"Idempotency-Key": "k-" + randHex(4)}})
				if res.Code != tc.status {
					t.Fatalf("%s: %d %s, want %d", path, res.Code, res.Body, tc.status)
				}
				var b struct {
					Error struct {
						Code    string         `json:"code"`
						Message string         `json:"message"`
						Details map[string]any `json:"details"`
					} `json:"error"`
				}
				res.JSON(t, &b)
				if b.Error.Message == "" {
					t.Fatalf("%s: no message: %s", path, res.Body)
				}
				if fields, _ := b.Error.Details["fields"].(map[string]any); tc.field != "" && fields[tc.field] == nil {
					t.Errorf("%s: details.fields has no %s: %s", path, tc.field, res.Body)
				}
				if tc.reason != "" && b.Error.Details["reason"] != tc.reason {
					t.Errorf("%s: details.reason %v, want %s", path, b.Error.Details["reason"], tc.reason)
				}
			}
		})
	}
	if n := e.countRows(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders written by refused checkouts", n)
	}
	if after := e.cart(buyer.Token); !jsonEqual(t, after, cartBefore) {
		t.Errorf("cart changed: before %+v, after %+v", cartBefore, after)
	}
	if e.Sagas.StartedCount() != 0 {
		t.Errorf("%d sagas started", e.Sagas.StartedCount())
	}
}

func cloneBody(b map[string]any) map[string]any {
	out := make(map[string]any, len(b))
	for k, v := range b {
		out[k] = v
	}
	return out
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	x, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(x) == string(y)
}
