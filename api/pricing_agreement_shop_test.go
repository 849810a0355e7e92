package api_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// The random shops and checkouts of TestQuoteAndChargeAgree.

type agShop struct {
	inclusive, noZones bool
	currencies         []string
	products           []agProduct
	parent             map[int64]int64 // category -> parent (0 for a root)
	zones              []agZone
	rates              []agRate
	promos             []agPromo
	codes              []string // every method code in use, and one nobody offers
}

type agProduct struct {
	id, price, weight int64
	seller, currency  string
	taxClass          string
	category          int64
}

type agZone struct {
	countries []string
	methods   []agMethod
}

type agMethod struct {
	code, name, kind, currency string
	price, perKg               int64
	freeOver                   *int64
	active                     bool
}

type agRate struct {
	country, region, class string
	ppm                    int64
}

type agPromo struct {
	id                     int64
	name, code, kind       string
	bp, amount             int64
	currency               string
	appliesTo              string
	productIDs, categories []int64
	min                    int64
	startsAt               time.Time
	endsAt                 *time.Time
	active                 bool
	usageLimit             *int64
	uses                   int64
}

var (
	agCountries = []string{"DE", "FR", "AT", "US", "CA", "NL", "GB", "SE"}
	agRegions   = []string{"BY", "CA", "ON", "NY"}
	agClasses   = []string{"standard", "reduced", "books", "digital", "shipping"}
	agPPMs      = []int64{0, 50_000, 70_000, 190_000, 200_000, 123_457, 333_333, 1_000_000}
)

// seedAgShop writes a random shop straight into e's database: sellers, a category tree,
// products, zones and methods, tax rates and promotions.
func seedAgShop(e *testEnv, rng *rand.Rand, n int, inclusive, noZones bool) *agShop {
	e.t.Helper()
	ctx := context.Background()
	exec := func(dest []any, sql string, args ...any) {
		e.t.Helper()
		var err error
		if dest == nil {
			_, err = e.Store.Pool.Exec(ctx, sql, args...)
		} else {
			err = e.Store.Pool.QueryRow(ctx, sql, args...).Scan(dest...)
		}
		if err != nil {
			e.t.Fatalf("seed shop: %s: %v", sql, err)
		}
	}
	shop := &agShop{inclusive: inclusive, noZones: noZones, currencies: []string{"EUR", "EUR", "EUR", "USD"}, parent: map[int64]int64{}}
	var sellers []string
	for range 3 {
		sellers = append(sellers, *e.newSeller().SellerID)
	}

	// Categories: each a root or the child of an earlier one, so chains form.
	var categories []int64
	for i := range 7 {
		var parent *int64
		if i > 0 && rng.IntN(3) > 0 {
			parent = &categories[rng.IntN(len(categories))]
		}
		var id int64
		exec([]any{&id}, `INSERT INTO categories (name, slug, parent_id) VALUES ($1, $1, $2) RETURNING id`, fmt.Sprintf("ag-%d-%d", n, i), parent)
		categories = append(categories, id)
		if parent != nil {
			shop.parent[id] = *parent
		}
	}

	for i := range 16 {
		p := agProduct{seller: sellers[rng.IntN(len(sellers))], currency: agPick(rng, shop.currencies),
			category: agPick(rng, categories), taxClass: agPick(rng, agClasses[:4])}
		switch r := rng.IntN(20); {
		case r == 0:
			p.price = 0
		case r < 3:
			p.price = 1_000_000 + rng.Int64N(99_000_000)
		default:
			p.price = 1 + rng.Int64N(3000)
		}
		switch r := rng.IntN(6); {
		case r == 0:
			p.weight = 0
		case r == 1:
			p.weight = 1000 * (1 + rng.Int64N(3))
		default:
			p.weight = 1 + rng.Int64N(2500)
		}
		exec([]any{&p.id}, `INSERT INTO products (seller_id, category_id, name, price_cents, currency, status, weight_grams, tax_class)
			VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) RETURNING id`,
			p.seller, p.category, fmt.Sprintf("Product %d", i), p.price, p.currency, p.weight, p.taxClass)
		exec(nil, `INSERT INTO inventory (product_id, on_hand, reserved) VALUES ($1, 100000, 0)`, p.id)
		shop.products = append(shop.products, p)
	}

	codes := []string{"standard", "express", "economy", "bulk", "post"}
	shop.codes = append(slices.Clone(codes), "pigeon")
	if !noZones {
		zoneOf := map[string]int{}
		shop.zones = make([]agZone, 1+rng.IntN(3))
		for _, c := range agCountries[:len(agCountries)-1] { // SE is in no zone
			if rng.IntN(8) > 0 {
				z := rng.IntN(len(shop.zones))
				zoneOf[c] = z
				shop.zones[z].countries = append(shop.zones[z].countries, c)
			}
		}
		for zi := range shop.zones {
			z := &shop.zones[zi]
			var zoneID int64
			exec([]any{&zoneID}, `INSERT INTO shipping_zones (name) VALUES ($1) RETURNING id`, fmt.Sprintf("Zone %d", zi))
			for _, c := range z.countries {
				exec(nil, `INSERT INTO shipping_zone_countries (country, zone_id) VALUES ($1, $2)`, c, zoneID)
			}
			for _, code := range codes {
				if rng.IntN(10) < 3 {
					continue
				}
				m := agMethod{code: code, name: "Method " + code, kind: "flat", currency: agPick(rng, shop.currencies),
					price: agPick(rng, []int64{0, 300, 300, 450, 500, 990, rng.Int64N(2000)}), active: rng.IntN(8) > 0}
				if rng.IntN(2) == 0 {
					m.kind, m.perKg = "weight", agPick(rng, []int64{0, 50, 150, 400})
				}
				if rng.IntN(2) == 0 {
					// Sometimes a product's price, so a one-unit shipment of it is exactly at the boundary.
					m.freeOver = agPtr(agPick(rng, []int64{0, 1000, 2500, 5000, 100_000, rng.Int64N(15000), agPick(rng, shop.products).price}))
				}
				exec(nil, `INSERT INTO shipping_methods (zone_id, code, name, kind, currency, price_cents, per_kg_cents, free_over_cents, active)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, zoneID, m.code, m.name, m.kind, m.currency, m.price, m.perKg, m.freeOver, m.active)
				z.methods = append(z.methods, m)
			}
		}
	}

	for _, c := range agCountries {
		for _, class := range agClasses {
			if rng.IntN(5) < 3 {
				shop.rates = append(shop.rates, agRate{country: c, class: class, ppm: agPick(rng, agPPMs)})
			}
			for _, region := range agRegions {
				if rng.IntN(6) == 0 {
					shop.rates = append(shop.rates, agRate{country: c, region: region, class: class, ppm: agPick(rng, agPPMs)})
				}
			}
		}
	}
	for _, r := range shop.rates {
		exec(nil, `INSERT INTO tax_rates (country, region, tax_class, rate_ppm) VALUES ($1, $2, $3, $4)`, r.country, r.region, r.class, r.ppm)
	}

	now := time.Now()
	for i := range 9 {
		p := agPromo{name: fmt.Sprintf("Promotion %d", i), kind: agPick(rng, []string{"percent", "fixed", "free_shipping"}),
			appliesTo: agPick(rng, []string{"order", "order", "products", "categories"}), startsAt: now.Add(-time.Hour), active: rng.IntN(10) > 0}
		if rng.IntN(2) == 0 {
			p.code = fmt.Sprintf("Save%d-%d", n, i)
		}
		switch p.kind {
		case "percent":
			p.bp = agPick(rng, []int64{1, 500, 1000, 3333, 5000, 10000, 1 + rng.Int64N(10000)})
		case "fixed":
			p.amount = agPick(rng, []int64{1, 100, 999, 5000, 1 + rng.Int64N(3000), 50_000_000})
		}
		if p.kind == "fixed" || rng.IntN(3) == 0 {
			p.currency = agPick(rng, shop.currencies)
		}
		if rng.IntN(3) == 0 {
			p.min = agPick(rng, []int64{1, 1000, 2500, rng.Int64N(8000)})
			if p.currency == "" {
				p.currency = agPick(rng, shop.currencies)
			}
		}
		switch p.appliesTo {
		case "products":
			for range 1 + rng.IntN(4) {
				p.productIDs = append(p.productIDs, agPick(rng, shop.products).id)
			}
		case "categories":
			for range 1 + rng.IntN(2) {
				p.categories = append(p.categories, agPick(rng, categories))
			}
		}
		switch rng.IntN(10) {
		case 0:
			p.startsAt = now.Add(time.Hour)
		case 1:
			p.startsAt, p.endsAt = now.Add(-2*time.Hour), agPtr(now.Add(-time.Hour))
		case 2, 3:
			p.endsAt = agPtr(now.Add(time.Hour))
		}
		if rng.IntN(10) == 0 {
			// Used up. The saga claims uses, and no saga runs here, so uses stay as seeded.
			p.usageLimit = agPtr(rng.Int64N(3))
			p.uses = *p.usageLimit
		}
		exec([]any{&p.id}, `INSERT INTO promotions (name, code, kind, percent_bp, amount_cents, currency, applies_to, product_ids,
			category_ids, min_subtotal_cents, starts_at, ends_at, active, usage_limit, uses)
			VALUES ($1, NULLIF($2, ''), $3, NULLIF($4, 0), NULLIF($5, 0), NULLIF($6, ''), $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			p.name, p.code, p.kind, p.bp, p.amount, p.currency, p.appliesTo, agIDs(p.productIDs), agIDs(p.categories),
			p.min, p.startsAt, p.endsAt, p.active, p.usageLimit, p.uses)
		shop.promos = append(shop.promos, p)
	}
	return shop
}

// agCheckout is one random checkout body.
type agCheckout struct {
	items          []agItem
	country        string
	region         string
	shippingMethod string
	coupon         string
}

type agItem struct{ product, quantity int64 }

func (co agCheckout) String() string {
	return fmt.Sprintf("checkout of %v to %s/%q, shipping_method %q, coupon %q", co.items, co.country, co.region, co.shippingMethod, co.coupon)
}

func (co agCheckout) body() map[string]any {
	items := []map[string]any{}
	for _, it := range co.items {
		items = append(items, map[string]any{"product_id": it.product, "quantity": it.quantity})
	}
	address := map[string]any{"name": "Casey Doe", "line1": "1 Main St", "city": "Town", "postal_code": "12345", "country": co.country}
	if co.region != "" {
		address["region"] = co.region
	}
	b := map[string]any{"items": items, "payment_method": "pm_card_visa", "shipping_address": address}
	if co.shippingMethod != "" {
		b["shipping_method"] = co.shippingMethod
	}
	if co.coupon != "" {
		b["coupon"] = co.coupon
	}
	return b
}

// randomCheckout is a cart of one currency's products, a destination, maybe a method and maybe
// a coupon (as stored, in another case, or unknown).
func (s *agShop) randomCheckout(rng *rand.Rand) agCheckout {
	currency := agPick(rng, s.currencies)
	var candidates []agProduct
	for _, p := range s.products {
		if p.currency == currency {
			candidates = append(candidates, p)
		}
	}
	if len(candidates) == 0 {
		candidates = s.products[:1]
	}
	rng.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
	co := agCheckout{country: agPick(rng, agCountries), region: agPick(rng, []string{"", "", "BY", "by", "CA", "ON", "ny", "ZZ"})}
	var offered []string // the codes the destination's zone has, in any currency
	for _, z := range s.zones {
		if slices.Contains(z.countries, co.country) {
			for _, m := range z.methods {
				offered = append(offered, m.code)
			}
		}
	}
	if len(offered) == 0 && rng.IntN(4) > 0 && len(s.zones) > 0 {
		// Mostly a country the shop ships to: errors are a minority of cases.
		z := agPick(rng, s.zones)
		if len(z.countries) > 0 {
			co.country = agPick(rng, z.countries)
		}
	}
	for _, p := range candidates[:1+rng.IntN(min(5, len(candidates)))] {
		q := 1 + rng.Int64N(4)
		if rng.IntN(20) == 0 {
			q = 1000
		}
		co.items = append(co.items, agItem{p.id, q})
	}
	switch r := rng.IntN(20); {
	case r < 2:
		co.shippingMethod = agPick(rng, s.codes)
	case r < 7 && len(offered) > 0:
		co.shippingMethod = agPick(rng, offered)
	}
	switch r := rng.IntN(20); {
	case r < 1:
		co.coupon = "NOPE-123"
	case r < 8:
		var coupons []string
		for _, p := range s.promos {
			if p.code != "" {
				coupons = append(coupons, p.code)
			}
		}
		if len(coupons) > 0 {
			co.coupon = agPick(rng, coupons)
			switch rng.IntN(3) {
			case 0:
				co.coupon = strings.ToLower(co.coupon)
			case 1:
				co.coupon = strings.ToUpper(co.coupon)
			}
		}
	}
	return co
}

// The rules, computed independently of package pricing.
