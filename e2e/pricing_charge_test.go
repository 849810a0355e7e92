package e2e

import (
	"context"
	"net/http"
	"testing"

	"shopflow/config"
	"shopflow/store"
)

// Priced orders through the real saga: each order's quote (shipping per seller, tax by region
// and on shipping, a coupon or an automatic promotion) is what the saga charges, to the cent,
// and what the placed order stores. A coupon order whose card is declined gives its use back.
func TestPricedOrdersChargeTheirQuote(t *testing.T) {
	t.Parallel()
	// Orders from one address and card: keep the velocity rule from sending them to review.
	e := newEnv(t, withConfig(func(c *config.Config) { c.FraudVelocityLimit = 1_000_000 }))
	heavy, light := e.newProduct(50, 2500), e.newProduct(50, 999)
	other := e.otherSellersProduct(4000)
	e.exec(`UPDATE products SET weight_grams = 1200, tax_class = 'standard' WHERE id = $1`, heavy)
	e.exec(`UPDATE products SET weight_grams = 300, tax_class = 'books' WHERE id = $1`, light)
	e.exec(`UPDATE products SET weight_grams = 0, tax_class = 'standard' WHERE id = $1`, other)
	var zone int64
	if err := e.db.QueryRow(context.Background(), `INSERT INTO shipping_zones (name) VALUES ('North America') RETURNING id`).Scan(&zone); err != nil {
		t.Fatal(err)
	}
	e.exec(`INSERT INTO shipping_zone_countries (country, zone_id) VALUES ('US', $1), ('CA', $1)`, zone)
	e.exec(`INSERT INTO shipping_methods (zone_id, code, name, kind, currency, price_cents, per_kg_cents, free_over_cents)
		VALUES ($1, 'ground', 'Ground', 'weight', 'USD', 500, 100, 20000), ($1, 'express', 'Express', 'flat', 'USD', 1500, 0, NULL)`, zone)
	e.exec(`INSERT INTO tax_rates (country, region, tax_class, rate_ppm) VALUES
		('US', '', 'standard', 80000), ('US', 'CA', 'standard', 72500), ('US', '', 'books', 25000), ('US', '', 'shipping', 50000)`)
	var coupon int64
	if err := e.db.QueryRow(context.Background(), `
		INSERT INTO promotions (name, code, kind, percent_bp, usage_limit, starts_at)
		VALUES ('Ten off', 'SAVE10', 'percent', 1000, 100, now() - interval '1 hour') RETURNING id`).Scan(&coupon); err != nil {
		t.Fatal(err)
	}
	e.exec(`INSERT INTO promotions (name, kind, amount_cents, currency, min_subtotal_cents, applies_to, product_ids, starts_at)
		VALUES ('Three off the other store', 'fixed', 300, 'USD', 5000, 'products', ARRAY[$1::bigint], now() - interval '1 hour')`, other)

	cases := []struct {
		name   string
		body   map[string]any
		placed bool
		// want are the parts the quote must have, so each case prices what it names.
		discount, shipping, shippingDiscount, tax bool
		promotion                                 bool
	}{
		{"two sellers, region tax, the automatic promotion", pricedCheckout(cardVisa, "CA", "", "",
			line{ProductID: heavy, Quantity: 2}, line{ProductID: other, Quantity: 1}), true, true, true, false, true, true},
		{"a coupon, express shipping, taxed shipping", pricedCheckout(cardVisa, "NY", "express", "SAVE10",
			line{ProductID: light, Quantity: 3}), true, true, true, false, true, true},
		{"free over the threshold", pricedCheckout(cardVisa, "", "ground", "",
			line{ProductID: heavy, Quantity: 9}), true, false, false, false, true, false},
		{"a coupon, declined", pricedCheckout(cardDeclined, "", "", "save10",
			line{ProductID: heavy, Quantity: 1}, line{ProductID: light, Quantity: 1}), false, true, true, false, true, true},
	}
	for _, tc := range cases {
		cust := e.newCustomer()
		var q struct {
			SubtotalCents         int64 `json:"subtotal_cents"`
			DiscountCents         int64 `json:"discount_cents"`
			ShippingCents         int64 `json:"shipping_cents"`
			ShippingDiscountCents int64 `json:"shipping_discount_cents"`
			TaxCents              int64 `json:"tax_cents"`
			TotalCents            int64 `json:"total_cents"`
			Promotion             *struct {
				ID int64 `json:"id"`
			} `json:"promotion"`
		}
		e.mustSend(request{method: "POST", path: "/api/v1/checkout/quote", token: cust.Token, body: tc.body}, &q, http.StatusOK)
		if q.DiscountCents > 0 != tc.discount || q.ShippingCents > 0 != tc.shipping || q.ShippingDiscountCents > 0 != tc.shippingDiscount ||
			q.TaxCents > 0 != tc.tax || q.Promotion != nil != tc.promotion {
			t.Fatalf("%s: quote %+v does not price what the case is about", tc.name, q)
		}
		usesBefore := e.count(`SELECT uses FROM promotions WHERE id = $1`, coupon)

		tc.body["expected_total_cents"] = q.TotalCents
		code, res, raw, err := e.postCheckout(cust, "priced-"+randHex(6), tc.body)
		if err != nil || code != http.StatusAccepted {
			t.Fatalf("%s: checkout %d %v: %s", tc.name, code, err, raw)
		}
		id := res.Order.ID
		result := e.awaitSaga(id)
		if tc.placed {
			e.wantPlaced(cust, id, result)
		} else {
			e.wantCanceled(cust, id, store.ReasonPaymentDeclined, result)
		}

		if n := e.count(`SELECT count(*) FROM payments WHERE order_id = $1 AND amount_cents = $2 AND currency = 'USD'`, id, q.TotalCents); n != 1 {
			t.Errorf("%s: %d payments of the quoted %d USD, want 1 (payments: %v)", tc.name, n, q.TotalCents, e.payments(id))
		}
		if n := e.count(`SELECT count(*) FROM sandbox_intents WHERE metadata->>'order_id' = $1 AND amount_cents <> $2`, id, q.TotalCents); n != 0 {
			t.Errorf("%s: %d payment intents for another amount than the quoted %d", tc.name, n, q.TotalCents)
		}
		if n := e.count(`SELECT count(*) FROM orders WHERE id = $1 AND total_cents = $2 AND subtotal_cents = $3 AND discount_cents = $4
			AND shipping_cents = $5 AND shipping_discount_cents = $6 AND tax_cents = $7`,
			id, q.TotalCents, q.SubtotalCents, q.DiscountCents, q.ShippingCents, q.ShippingDiscountCents, q.TaxCents); n != 1 {
			t.Errorf("%s: the stored order's price is not its quote %+v", tc.name, q)
		}

		usesAfter := e.count(`SELECT uses FROM promotions WHERE id = $1`, coupon)
		redemption := e.redemption(id)
		switch {
		case tc.body["coupon"] == nil:
			if usesAfter != usesBefore {
				t.Errorf("%s: an order without the coupon moved its uses from %d to %d", tc.name, usesBefore, usesAfter)
			}
		case tc.placed:
			if usesAfter != usesBefore+1 || redemption != "committed" {
				t.Errorf("%s: coupon uses %d -> %d, redemption %q; want one more use, committed", tc.name, usesBefore, usesAfter, redemption)
			}
		default:
			if usesAfter != usesBefore || redemption != "released" {
				t.Errorf("%s: coupon uses %d -> %d, redemption %q; want the use given back, released", tc.name, usesBefore, usesAfter, redemption)
			}
		}
	}
}

// pricedCheckout is a checkout body shipping to the US (region, when not empty), with the
// shipping method and coupon when not empty.
func pricedCheckout(card, region, method, coupon string, lines ...line) map[string]any {
	address := map[string]any{"name": "Casey Shopper", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}
	if region != "" {
		address["region"] = region
	}
	b := map[string]any{"items": lines, "payment_method": card, "shipping_address": address}
	if method != "" {
		b["shipping_method"] = method
	}
	if coupon != "" {
		b["coupon"] = coupon
	}
	return b
}

// otherSellersProduct lists a USD product of a second seller, in the env's category, with
// stock, straight in the database: a second seller makes a second shipment.
func (e *env) otherSellersProduct(priceCents int64) int64 {
	e.t.Helper()
	email := "s2-" + randHex(6) + "@example.com"
	e.mustSend(request{method: "POST", path: "/api/v1/auth/register", body: map[string]string{
		"email": email, "password": "a-long-password-1", "role": "seller", "store_name": "Store " + randHex(4)}}, nil, http.StatusCreated)
	var id int64
	if err := e.db.QueryRow(context.Background(), `
		INSERT INTO products (seller_id, category_id, name, price_cents, currency, status)
		SELECT s.id, $2, 'Other ' || $3, $4, 'USD', 'active' FROM sellers s JOIN users u ON u.id = s.user_id WHERE u.email = $1
		RETURNING id`, email, e.catalog.category, randHex(3), priceCents).Scan(&id); err != nil {
		e.t.Fatalf("other seller's product: %v", err)
	}
	e.exec(`INSERT INTO inventory (product_id, on_hand, reserved) VALUES ($1, 50, 0)`, id)
	return id
}

// exec runs a statement on the deployment's database.
func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.db.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// redemption is the status of the order's promotion use, or "" when it has none.
func (e *env) redemption(orderID string) string {
	e.t.Helper()
	var status string
	_ = e.db.QueryRow(context.Background(), `SELECT status FROM promotion_redemptions WHERE order_id = $1`, orderID).Scan(&status)
	return status
}

// payments lists the order's payment rows as status/amount, for failure messages.
func (e *env) payments(orderID string) []string {
	e.t.Helper()
	rows, err := e.db.Query(context.Background(), `SELECT status || '/' || amount_cents FROM payments WHERE order_id = $1`, orderID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
