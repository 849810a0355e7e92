package api_test

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The independent calculation of TestQuoteAndChargeAgree: docs/PRICING.md's rules written
// again from the text, calling nothing in package pricing.

// agPriced is the rules' answer to a checkout: a quote, or the errors it may fail with (the
// rules do not order a shipping error before a coupon error, nor one coupon reason before another).
type agPriced struct {
	quote  agQuote
	errors []agError
}

// kinds names what p exercises, for the test's log.
func (p agPriced) kinds() []string {
	if len(p.errors) > 0 {
		e := p.errors[0]
		return []string{"error " + e.Field + " " + e.Reason}
	}
	out := []string{"priced"}
	q := p.quote
	if q.Promotion != nil {
		kind := "automatic "
		if q.Promotion.Code != "" {
			kind = "coupon "
		}
		out = append(out, kind+q.Promotion.Kind)
	}
	if q.ShippingCents > 0 {
		out = append(out, "shipping charged")
	}
	if q.TaxCents > 0 {
		out = append(out, "taxed")
	}
	if len(q.Shipments) > 1 {
		out = append(out, "several shipments")
	}
	return out
}

type agError struct {
	Status int
	Code   string
	Field  string
	Reason string
}

// agErrorOf reads res as an error of the pricing rules.
func agErrorOf(t testing.TB, res response) agError {
	t.Helper()
	if res.Code < 400 {
		t.Fatalf("want an error, got %d %s", res.Code, res.Body)
	}
	ev := catErr(t, res)
	got := agError{Status: res.Code, Code: ev.Error.Code}
	fields, _ := ev.Error.Details["fields"].(map[string]any)
	for f := range fields {
		got.Field = f
	}
	if len(fields) != 1 {
		t.Errorf("details.fields %v, want exactly one field", fields)
	}
	got.Reason, _ = ev.Error.Details["reason"].(string)
	return got
}

func agShippingError(field string) agError {
	return agError{Status: http.StatusUnprocessableEntity, Code: "validation", Field: field}
}

func agCouponError(reason string) agError {
	status, code := http.StatusUnprocessableEntity, "validation"
	if reason == "used_up" || reason == "customer_limit" {
		status, code = http.StatusConflict, "conflict"
	}
	return agError{Status: status, Code: code, Field: "coupon", Reason: reason}
}

// price applies the rules in docs/PRICING.md to co.
func (s *agShop) price(co agCheckout) agPriced {
	var out agPriced
	q := &out.quote
	q.PricesIncludeTax = s.inclusive
	var lines []agProduct
	for _, it := range co.items {
		p := s.product(it.product)
		lines = append(lines, p)
		q.Currency = p.currency
		sub := p.price * it.quantity
		q.Lines = append(q.Lines, agQuotedLine{ProductID: p.id, SellerID: p.seller, Quantity: it.quantity, UnitPriceCents: p.price,
			SubtotalCents: sub, TaxClass: p.taxClass})
		q.SubtotalCents += sub
	}

	// 2. One shipment per seller, in order of first appearance.
	for i, it := range co.items {
		p := lines[i]
		j := slices.IndexFunc(q.Shipments, func(sh agShipment) bool { return sh.SellerID == p.seller })
		if j < 0 {
			q.Shipments = append(q.Shipments, agShipment{SellerID: p.seller})
			j = len(q.Shipments) - 1
		}
		q.Shipments[j].GoodsCents += p.price * it.quantity
		q.Shipments[j].WeightGrams += p.weight * it.quantity
	}

	// 3. Shipping.
	if err, ok := s.ship(co, q); !ok {
		out.errors = append(out.errors, err)
	}

	// 4. One promotion.
	if co.coupon != "" {
		i := slices.IndexFunc(s.promos, func(p agPromo) bool { return p.code != "" && strings.EqualFold(p.code, co.coupon) })
		if i < 0 {
			out.errors = append(out.errors, agCouponError("unknown"))
		} else if reasons := s.unusable(s.promos[i], q, lines); len(reasons) > 0 {
			for _, r := range reasons {
				out.errors = append(out.errors, agCouponError(r))
			}
		} else {
			s.apply(s.promos[i], q, lines)
		}
	} else {
		best, bestOff := -1, int64(0)
		for i, p := range s.promos {
			if p.code != "" || len(s.unusable(p, q, lines)) > 0 {
				continue
			}
			lineOff, shipOff := s.discounts(p, q, lines)
			off := agSum(lineOff) + agSum(shipOff)
			if off > bestOff || off == bestOff && off > 0 && p.id < s.promos[best].id {
				best, bestOff = i, off
			}
		}
		if best >= 0 {
			s.apply(s.promos[best], q, lines)
		}
	}
	if len(out.errors) > 0 {
		return out
	}

	// 5. Tax, each line and shipment on its own.
	for i := range q.Lines {
		l := &q.Lines[i]
		l.TaxRatePPM = s.rate(co, l.TaxClass)
		l.TaxCents = s.tax(l.SubtotalCents-l.DiscountCents, l.TaxRatePPM)
	}
	for i := range q.Shipments {
		sh := &q.Shipments[i]
		sh.TaxRatePPM = s.rate(co, "shipping")
		sh.TaxCents = s.tax(sh.ShippingCents-sh.DiscountCents, sh.TaxRatePPM)
	}

	// 6. Totals.
	for i := range q.Lines {
		l := &q.Lines[i]
		l.TotalCents = l.SubtotalCents - l.DiscountCents
		if !s.inclusive {
			l.TotalCents += l.TaxCents
		}
		q.DiscountCents += l.DiscountCents
		q.TaxCents += l.TaxCents
	}
	for _, sh := range q.Shipments {
		q.ShippingCents += sh.ShippingCents
		q.ShippingDiscountCents += sh.DiscountCents
		q.TaxCents += sh.TaxCents
	}
	q.TotalCents = q.SubtotalCents - q.DiscountCents + q.ShippingCents - q.ShippingDiscountCents
	if !s.inclusive {
		q.TotalCents += q.TaxCents
	}
	if s.noZones {
		q.Shipments = nil // a shop without zones prices no shipments
	}
	return out
}

// ship charges each shipment by the chosen or cheapest method, or says why it cannot.
func (s *agShop) ship(co agCheckout, q *agQuote) (agError, bool) {
	q.ShippingOptions = []agOption{}
	if s.noZones {
		if co.shippingMethod != "" {
			return agShippingError("shipping_method"), false
		}
		return agError{}, true
	}
	var zone *agZone
	for i := range s.zones {
		if slices.Contains(s.zones[i].countries, co.country) {
			zone = &s.zones[i]
		}
	}
	if zone == nil {
		return agShippingError("shipping_address.country"), false
	}
	var methods []agMethod
	for _, m := range zone.methods {
		if m.active && m.currency == q.Currency {
			methods = append(methods, m)
		}
	}
	if len(methods) == 0 {
		return agShippingError("shipping_address.country"), false
	}
	slices.SortStableFunc(methods, func(a, b agMethod) int {
		if a.price != b.price {
			return int(a.price - b.price)
		}
		return strings.Compare(a.code, b.code)
	})
	chosen := -1
	for i, m := range methods {
		var total int64
		for _, sh := range q.Shipments {
			total += m.charge(sh)
		}
		q.ShippingOptions = append(q.ShippingOptions, agOption{Code: m.code, Name: m.name, ShippingCents: total})
		if co.shippingMethod == m.code || co.shippingMethod == "" && (chosen < 0 || total < q.ShippingOptions[chosen].ShippingCents) {
			chosen = i
		}
	}
	if chosen < 0 {
		return agShippingError("shipping_method"), false
	}
	m := methods[chosen]
	q.ShippingMethod = m.code
	for i := range q.Shipments {
		sh := &q.Shipments[i]
		sh.Method, sh.MethodName, sh.ShippingCents = m.code, m.name, m.charge(*sh)
	}
	return agError{}, true
}

// charge is what m charges one shipment.
func (m agMethod) charge(sh agShipment) int64 {
	switch {
	case m.freeOver != nil && sh.GoodsCents >= *m.freeOver:
		return 0
	case m.kind == "flat":
		return m.price
	}
	kg := sh.WeightGrams / 1000
	if sh.WeightGrams%1000 != 0 {
		kg++
	}
	return m.price + m.perKg*kg
}

// unusable lists every reason p cannot apply to the order.
func (s *agShop) unusable(p agPromo, q *agQuote, lines []agProduct) []string {
	var reasons []string
	now := time.Now()
	if !p.active {
		reasons = append(reasons, "inactive")
	}
	if now.Before(p.startsAt) {
		reasons = append(reasons, "not_started")
	}
	if p.endsAt != nil && !now.Before(*p.endsAt) {
		reasons = append(reasons, "expired")
	}
	if p.currency != "" && p.currency != q.Currency {
		reasons = append(reasons, "currency")
	}
	if q.SubtotalCents < p.min {
		reasons = append(reasons, "minimum")
	}
	if !slices.ContainsFunc(lines, func(l agProduct) bool { return s.eligible(p, l) }) {
		reasons = append(reasons, "not_applicable")
	}
	if p.usageLimit != nil && p.uses >= *p.usageLimit {
		reasons = append(reasons, "used_up")
	}
	return reasons
}

// eligible says whether p covers a line of product l: any line, a listed product, or a product
// whose category or one of its ancestors is listed.
func (s *agShop) eligible(p agPromo, l agProduct) bool {
	switch p.appliesTo {
	case "products":
		return slices.Contains(p.productIDs, l.id)
	case "categories":
		for c := l.category; c != 0; c = s.parent[c] {
			if slices.Contains(p.categories, c) {
				return true
			}
		}
		return false
	}
	return true
}

// discounts is what p takes off each line and each shipment.
func (s *agShop) discounts(p agPromo, q *agQuote, lines []agProduct) (lineOff, shipOff []int64) {
	lineOff, shipOff = make([]int64, len(lines)), make([]int64, len(q.Shipments))
	switch p.kind {
	case "percent":
		for i, l := range lines {
			if s.eligible(p, l) {
				lineOff[i] = agRoundHalfUp(q.Lines[i].SubtotalCents, p.bp, 10_000)
			}
		}
	case "fixed":
		var eligibleSum int64
		for i, l := range lines {
			if s.eligible(p, l) {
				eligibleSum += q.Lines[i].SubtotalCents
			}
		}
		if eligibleSum == 0 {
			return lineOff, shipOff
		}
		d := min(p.amount, eligibleSum)
		left := d
		remainders := map[int]int64{}
		var order []int
		for i, l := range lines {
			if s.eligible(p, l) {
				var r int64
				lineOff[i], r = agFloorDiv(d, q.Lines[i].SubtotalCents, eligibleSum)
				left -= lineOff[i]
				remainders[i] = r
				order = append(order, i)
			}
		}
		// Largest remainder first, the earlier line on a tie.
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case remainders[a] > remainders[b]:
				return -1
			case remainders[a] < remainders[b]:
				return 1
			}
			return 0
		})
		for _, i := range order[:left] {
			lineOff[i]++
		}
	case "free_shipping":
		for j, sh := range q.Shipments {
			for _, l := range lines {
				if l.seller == sh.SellerID && s.eligible(p, l) {
					shipOff[j] = sh.ShippingCents
					break
				}
			}
		}
	}
	return lineOff, shipOff
}

// apply gives the order p's discounts.
func (s *agShop) apply(p agPromo, q *agQuote, lines []agProduct) {
	lineOff, shipOff := s.discounts(p, q, lines)
	for i := range q.Lines {
		q.Lines[i].DiscountCents = lineOff[i]
	}
	for j := range q.Shipments {
		q.Shipments[j].DiscountCents = shipOff[j]
	}
	q.Promotion = &agApplied{ID: p.id, Code: p.code, Kind: p.kind}
}

// rate is the rate for class at co's destination: the region's, else the country's, else 0.
func (s *agShop) rate(co agCheckout, class string) int64 {
	region := strings.ToUpper(co.region)
	if region != "" {
		for _, r := range s.rates {
			if r.country == co.country && r.region == region && r.class == class {
				return r.ppm
			}
		}
	}
	for _, r := range s.rates {
		if r.country == co.country && r.region == "" && r.class == class {
			return r.ppm
		}
	}
	return 0
}

// tax is the tax on amount at ppm, on top of it or, when prices include tax, within it.
func (s *agShop) tax(amount, ppm int64) int64 {
	if s.inclusive {
		return agRoundHalfUp(amount, ppm, 1_000_000+ppm)
	}
	return agRoundHalfUp(amount, ppm, 1_000_000)
}

func (s *agShop) product(id int64) agProduct {
	for _, p := range s.products {
		if p.id == id {
			return p
		}
	}
	panic(fmt.Sprintf("no product %d", id))
}

// agRoundHalfUp is a × b / c to the nearest integer, halves up, in 128 bits.
func agRoundHalfUp(a, b, c int64) int64 {
	q, r := agFloorDiv(a, b, c)
	if 2*r >= c {
		q++
	}
	return q
}

// agFloorDiv is a × b / c rounded down, and its remainder, in 128 bits.
func agFloorDiv(a, b, c int64) (int64, int64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, r := bits.Div64(hi, lo, uint64(c))
	return int64(q), int64(r)
}

func agSum(xs []int64) int64 {
	var t int64
	for _, x := range xs {
		t += x
	}
	return t
}

func agPick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func agPtr[T any](v T) *T { return &v }

func agIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// The quote and the order as a client reads them.
