package demo

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// pricingSQL sets up the demo shop's pricing: shipping to North America and Europe, US state
// and EU VAT rates (books at the reduced rate), product weights, a welcome coupon, a coupon
// with few uses left and an automatic promotion on books. docs/PRICING.md walks through them.
var pricingSQL = []string{
	`UPDATE products p SET weight_grams = CASE c.slug
		WHEN 'phones' THEN 350 WHEN 'laptops' THEN 1800 WHEN 'audio' THEN 600
		WHEN 'kitchen' THEN 2500 WHEN 'home' THEN 1500 ELSE 500 END,
		tax_class = CASE c.slug WHEN 'books' THEN 'reduced' ELSE 'standard' END
	 FROM categories c WHERE c.id = p.category_id`,
	`WITH z AS (INSERT INTO shipping_zones (name) VALUES ('North America') RETURNING id),
	 c AS (INSERT INTO shipping_zone_countries (country, zone_id) SELECT x, z.id FROM z, unnest(ARRAY['US', 'CA']) x)
	 INSERT INTO shipping_methods (zone_id, code, name, kind, currency, price_cents, per_kg_cents, free_over_cents)
	 SELECT z.id, m.code, m.name, m.kind, 'USD', m.price, m.per_kg, m.free_over FROM z, (VALUES
		('standard', 'Standard (3-5 days)', 'flat', 599, 0, 5000),
		('express', 'Express (1-2 days)', 'weight', 1299, 250, NULL)) AS m(code, name, kind, price, per_kg, free_over)`,
	`WITH z AS (INSERT INTO shipping_zones (name) VALUES ('Europe') RETURNING id),
	 c AS (INSERT INTO shipping_zone_countries (country, zone_id)
	       SELECT x, z.id FROM z, unnest(ARRAY['DE', 'FR', 'NL', 'IE', 'GB']) x)
	 INSERT INTO shipping_methods (zone_id, code, name, kind, currency, price_cents, per_kg_cents)
	 SELECT z.id, 'international', 'International (5-10 days)', 'weight', 'USD', 1999, 400 FROM z`,
	`INSERT INTO tax_rates (country, region, tax_class, rate_ppm, name) VALUES
		('US', 'CA', 'standard', 72500, 'California sales tax'),
		('US', 'NY', 'standard', 88750, 'New York sales tax'),
		('US', 'NY', 'shipping', 88750, 'New York sales tax on shipping'),
		('DE', '', 'standard', 190000, 'VAT'), ('DE', '', 'reduced', 70000, 'VAT, reduced'),
		('DE', '', 'shipping', 190000, 'VAT'),
		('FR', '', 'standard', 200000, 'TVA'), ('FR', '', 'reduced', 55000, 'TVA, taux réduit'),
		('NL', '', 'standard', 210000, 'BTW'), ('IE', '', 'standard', 230000, 'VAT'),
		('GB', '', 'standard', 200000, 'VAT'), ('GB', '', 'reduced', 0, 'VAT, zero rate')`,
	`INSERT INTO promotions (name, description, code, kind, percent_bp, per_customer_limit)
	 VALUES ('Welcome', '10% off your first order', 'WELCOME10', 'percent', 1000, 1)`,
	`INSERT INTO promotions (name, description, code, kind, amount_cents, currency, min_subtotal_cents, usage_limit)
	 VALUES ('Last ten', '$10 off orders of $50 or more, for the first ten shoppers', 'LAST10', 'fixed', 1000, 'USD', 5000, 10)`,
	`INSERT INTO promotions (name, description, kind, percent_bp, applies_to, category_ids)
	 SELECT 'Book week', '5% off every book', 'percent', 500, 'categories', ARRAY[id] FROM categories WHERE slug = 'books'`,
}

// insertPricing runs pricingSQL, after the catalog is in. A shop that already has pricing set
// up (a catalog emptied and seeded again) keeps it; only the new products' weights are set.
func insertPricing(ctx context.Context, tx pgx.Tx) error {
	var configured bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM shipping_zones) OR EXISTS (SELECT 1 FROM tax_rates)
		OR EXISTS (SELECT 1 FROM promotions)`).Scan(&configured); err != nil {
		return fmt.Errorf("demo pricing: %w", err)
	}
	statements := pricingSQL
	if configured {
		statements = statements[:1]
	}
	for _, sql := range statements {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("demo pricing: %w", err)
		}
	}
	return nil
}
