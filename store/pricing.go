package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/pricing"
)

// PricingData reads what quotes depend on: shipping methods, promotions and tax rates. It is
// the built-in pricing.Source and pricing.RateSource.
type PricingData struct{ q queryer }

// queryer runs a query on a pool or in a transaction.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// quoter prices orders reading through q (the checkout's transaction, so a checkout holds one
// connection, not two), with the shop's tax setting and provider.
func (s *Store) quoter(q queryer) pricing.Quoter {
	data := PricingData{q}
	var tax pricing.TaxProvider = pricing.Table{Rates: data}
	if s.Tax != nil {
		tax = s.Tax
	}
	return pricing.Quoter{Source: data, Tax: tax, PricesIncludeTax: s.PricesIncludeTax}
}

// Shipping returns the active methods of the zone holding country priced in currency,
// cheapest first, and whether such a zone, or any zone, exists.
func (d PricingData) Shipping(ctx context.Context, country, currency string) ([]pricing.Method, bool, bool, error) {
	rows, err := d.q.Query(ctx, `
		WITH z AS (SELECT zone_id FROM shipping_zone_countries WHERE country = $1)
		SELECT EXISTS (SELECT 1 FROM shipping_zones), EXISTS (SELECT 1 FROM z),
		       m.code, m.name, m.kind, m.price_cents, m.per_kg_cents, m.free_over_cents
		FROM (SELECT 1) one
		LEFT JOIN shipping_methods m ON m.zone_id = (SELECT zone_id FROM z) AND m.active AND m.currency = $2
		ORDER BY m.price_cents, m.code`, country, currency)
	if err != nil {
		return nil, false, false, fmt.Errorf("shipping methods: %w", err)
	}
	var methods []pricing.Method
	var zoned, anyZones bool
	for rows.Next() {
		var code, name, kind *string
		var price, perKg *int64
		var m pricing.Method
		if err := rows.Scan(&anyZones, &zoned, &code, &name, &kind, &price, &perKg, &m.FreeOverCents); err != nil {
			rows.Close()
			return nil, false, false, fmt.Errorf("shipping methods: %w", err)
		}
		if code == nil {
			continue
		}
		m.Code, m.Name, m.Kind, m.PriceCents, m.PerKgCents = *code, *name, *kind, *price, *perKg
		methods = append(methods, m)
	}
	if err := rows.Err(); err != nil {
		return nil, false, false, fmt.Errorf("shipping methods: %w", err)
	}
	return methods, zoned, anyZones, nil
}

// promotionColumns are a promotion's fields for pricing (over alias p), with its categories'
// descendants and the customer's ($1) uses.
const promotionColumns = `
	p.id, p.name, coalesce(p.code, ''), p.kind, coalesce(p.percent_bp, 0), coalesce(p.amount_cents, 0),
	coalesce(p.currency, ''), p.applies_to, p.product_ids,
	CASE WHEN p.applies_to = 'categories' THEN (
		WITH RECURSIVE sub AS (SELECT c.id FROM categories c WHERE c.id = ANY (p.category_ids)
		                       UNION SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id)
		SELECT array_agg(id) FROM sub) ELSE '{}' END,
	p.min_subtotal_cents, p.starts_at, p.ends_at, p.active, p.usage_limit, p.per_customer_limit, p.uses,
	CASE WHEN p.per_customer_limit IS NULL THEN 0 ELSE (
		SELECT count(*) FROM promotion_redemptions r
		WHERE r.promotion_id = p.id AND r.customer_id = $1::uuid AND r.status <> 'released') END`

// Promotions returns the coupon's promotion, or the automatic promotions running at now.
func (d PricingData) Promotions(ctx context.Context, customerID, coupon string, now time.Time) ([]pricing.Promotion, error) {
	var rows pgx.Rows
	var err error
	if coupon != "" {
		rows, err = d.q.Query(ctx, `SELECT `+promotionColumns+` FROM promotions p WHERE upper(p.code) = upper($2)`,
			customerID, strings.TrimSpace(coupon))
	} else {
		rows, err = d.q.Query(ctx, `SELECT `+promotionColumns+` FROM promotions p
			WHERE p.code IS NULL AND p.active AND p.starts_at <= $2 AND (p.ends_at IS NULL OR p.ends_at > $2)
			ORDER BY p.id`, customerID, now)
	}
	if err != nil {
		return nil, fmt.Errorf("read promotions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pricing.Promotion, error) {
		var p pricing.Promotion
		var categories []int64
		var usage, perCustomer *int32
		var uses int32
		err := r.Scan(&p.ID, &p.Name, &p.Code, &p.Kind, &p.PercentBP, &p.AmountCents, &p.Currency, &p.AppliesTo,
			&p.ProductIDs, &categories, &p.MinSubtotalCents, &p.StartsAt, &p.EndsAt, &p.Active, &usage, &perCustomer,
			&uses, &p.CustomerUses)
		p.CategoryIDs, p.Uses = categories, int64(uses)
		if usage != nil {
			n := int64(*usage)
			p.UsageLimit = &n
		}
		if perCustomer != nil {
			n := int64(*perCustomer)
			p.PerCustomerLimit = &n
		}
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("read promotions: %w", err)
	}
	return out, nil
}

// TaxRates returns the shop's tax rates for country (all its regions and classes).
func (d PricingData) TaxRates(ctx context.Context, country string) ([]pricing.Rate, error) {
	rows, err := d.q.Query(ctx, `SELECT country, region, tax_class, rate_ppm FROM tax_rates WHERE country = $1`, country)
	if err != nil {
		return nil, fmt.Errorf("read tax rates: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pricing.Rate, error) {
		var t pricing.Rate
		return t, r.Scan(&t.Country, &t.Region, &t.TaxClass, &t.RatePPM)
	})
	if err != nil {
		return nil, fmt.Errorf("read tax rates: %w", err)
	}
	return out, nil
}
