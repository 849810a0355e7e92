package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/pricing"
)

// pricingReads is what a quote depends on: the destination zone's shipping methods, the
// coupon's promotion or the automatic ones, and the destination's tax rates. They are queued
// on the batch that reads the order's products, so pricing costs no round trip of its own. It
// is the built-in pricing.Source and pricing.RateSource, for the request it was read for.
type pricingReads struct {
	country, customerID, coupon string
	now                         time.Time
	methods                     []shippingMethod
	zoned, anyZones             bool
	promotions                  []pricing.Promotion
	rates                       []pricing.Rate
}

// shippingMethod is an active method of the destination's zone, in its currency.
type shippingMethod struct {
	pricing.Method
	currency string
}

// quoter prices orders from reads, with the shop's tax setting and provider.
func (s *Store) quoter(reads *pricingReads) pricing.Quoter {
	var tax pricing.TaxProvider = pricing.Table{Rates: reads}
	if s.Tax != nil {
		tax = s.Tax
	}
	return pricing.Quoter{Source: reads, Tax: tax, PricesIncludeTax: s.PricesIncludeTax}
}

// queuePricingReads queues on b the reads a quote for no at now needs; the built-in tax table's
// rates only when no TaxProvider replaces it.
func (s *Store) queuePricingReads(b *pgx.Batch, no NewOrder, now time.Time) *pricingReads {
	r := &pricingReads{country: no.ShippingAddress.Country, customerID: no.CustomerID, coupon: strings.TrimSpace(no.Coupon), now: now}
	b.Queue(`
		WITH z AS (SELECT zone_id FROM shipping_zone_countries WHERE country = $1)
		SELECT EXISTS (SELECT 1 FROM shipping_zones), EXISTS (SELECT 1 FROM z),
		       m.code, m.name, m.kind, m.price_cents, m.per_kg_cents, m.free_over_cents, m.currency
		FROM (SELECT 1) one
		LEFT JOIN shipping_methods m ON m.zone_id = (SELECT zone_id FROM z) AND m.active
		ORDER BY m.price_cents, m.code`, r.country).Query(r.scanShipping)
	if r.coupon != "" {
		b.Queue(`SELECT `+promotionColumns+` FROM promotions p WHERE upper(p.code) = upper($2)`,
			r.customerID, r.coupon).Query(r.scanPromotions)
	} else {
		b.Queue(`SELECT `+promotionColumns+` FROM promotions p
			WHERE p.code IS NULL AND p.active AND p.starts_at <= $2 AND (p.ends_at IS NULL OR p.ends_at > $2)
			ORDER BY p.id`, r.customerID, now).Query(r.scanPromotions)
	}
	if s.Tax == nil {
		b.Queue(`SELECT country, region, tax_class, rate_ppm FROM tax_rates WHERE country = $1`, r.country).Query(r.scanRates)
	}
	return r
}

func (r *pricingReads) scanShipping(rows pgx.Rows) error {
	for rows.Next() {
		var code, name, kind, currency *string
		var price, perKg *int64
		var m pricing.Method
		if err := rows.Scan(&r.anyZones, &r.zoned, &code, &name, &kind, &price, &perKg, &m.FreeOverCents, &currency); err != nil {
			return fmt.Errorf("shipping methods: %w", err)
		}
		if code == nil {
			continue
		}
		m.Code, m.Name, m.Kind, m.PriceCents, m.PerKgCents = *code, *name, *kind, *price, *perKg
		r.methods = append(r.methods, shippingMethod{Method: m, currency: *currency})
	}
	return rows.Err()
}

// Shipping returns the active methods of the destination's zone priced in currency, cheapest
// first, and whether such a zone, or any zone, exists.
func (r *pricingReads) Shipping(_ context.Context, country, currency string) ([]pricing.Method, bool, bool, error) {
	if country != r.country {
		return nil, false, false, fmt.Errorf("shipping to %s asked of reads made for %s", country, r.country)
	}
	var methods []pricing.Method
	for _, m := range r.methods {
		if m.currency == currency {
			methods = append(methods, m.Method)
		}
	}
	return methods, r.zoned, r.anyZones, nil
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

func (r *pricingReads) scanPromotions(rows pgx.Rows) error {
	var err error
	r.promotions, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (pricing.Promotion, error) {
		var p pricing.Promotion
		var categories []int64
		var usage, perCustomer *int32
		var uses int32
		err := row.Scan(&p.ID, &p.Name, &p.Code, &p.Kind, &p.PercentBP, &p.AmountCents, &p.Currency, &p.AppliesTo,
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
		return fmt.Errorf("read promotions: %w", err)
	}
	return nil
}

// Promotions returns the coupon's promotion, or the automatic promotions running at now.
func (r *pricingReads) Promotions(_ context.Context, customerID, coupon string, now time.Time) ([]pricing.Promotion, error) {
	if customerID != r.customerID || strings.TrimSpace(coupon) != r.coupon || !now.Equal(r.now) {
		return nil, fmt.Errorf("promotions for customer %s, coupon %q asked of reads made for %s, %q", customerID, coupon, r.customerID, r.coupon)
	}
	return r.promotions, nil
}

func (r *pricingReads) scanRates(rows pgx.Rows) error {
	var err error
	r.rates, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (pricing.Rate, error) {
		var t pricing.Rate
		return t, row.Scan(&t.Country, &t.Region, &t.TaxClass, &t.RatePPM)
	})
	if err != nil {
		return fmt.Errorf("read tax rates: %w", err)
	}
	return nil
}

// TaxRates returns the shop's tax rates for the destination's country (all its regions and classes).
func (r *pricingReads) TaxRates(_ context.Context, country string) ([]pricing.Rate, error) {
	if country != r.country {
		return nil, fmt.Errorf("tax rates of %s asked of reads made for %s", country, r.country)
	}
	return r.rates, nil
}
