package pricing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"shopflow/errs"
	"shopflow/pricing"
)

// The expectations in these tests are worked out by hand from the pricing rules
// (docs/PRICING.md), one rule per table, so a failure names the rule that broke.

// now is the fixed moment every test request is priced at.
var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeSource is an in-memory pricing.Source: zones by country, each with its methods in
// currencies, and the shop's promotions.
type fakeSource struct {
	// zones maps a zoned country to its active methods, listed by price_cents then code.
	zones  map[string][]fakeMethod
	promos []pricing.Promotion
}

// fakeMethod is a shipping method and the currency it is priced in.
type fakeMethod struct {
	pricing.Method
	Currency string
}

func (f fakeSource) Shipping(_ context.Context, country, currency string) ([]pricing.Method, bool, bool, error) {
	ms, zoned := f.zones[country]
	var out []pricing.Method
	for _, m := range ms {
		if m.Currency == currency {
			out = append(out, m.Method)
		}
	}
	return out, zoned, len(f.zones) > 0, nil
}

// Promotions returns every automatic promotion, running or not, so the quoter's own checks
// are what keeps an inactive or ended one out.
func (f fakeSource) Promotions(_ context.Context, _, coupon string, _ time.Time) ([]pricing.Promotion, error) {
	var out []pricing.Promotion
	for _, p := range f.promos {
		if coupon == "" && p.Code == "" || coupon != "" && strings.EqualFold(p.Code, coupon) {
			out = append(out, p)
		}
	}
	return out, nil
}

// fakeRates is an in-memory pricing.RateSource.
type fakeRates []pricing.Rate

func (f fakeRates) TaxRates(_ context.Context, country string) ([]pricing.Rate, error) {
	var out []pricing.Rate
	for _, r := range f {
		if r.Country == country {
			out = append(out, r)
		}
	}
	return out, nil
}

// quoter prices with src and rates, prices without tax unless inclusive.
func quoter(src fakeSource, rates fakeRates, inclusive bool) pricing.Quoter {
	return pricing.Quoter{Source: src, Tax: pricing.Table{Rates: rates}, PricesIncludeTax: inclusive}
}

// line is a one-seller, untaxed-class line of product id at price × qty.
func line(id int64, price, qty int64) pricing.Line {
	return pricing.Line{ProductID: id, Name: "p", SellerID: "s1", CategoryID: 1, Quantity: qty, UnitPriceCents: price, TaxClass: "standard"}
}

// request is an order in EUR to Germany of lines, at now.
func request(lines ...pricing.Line) pricing.Request {
	return pricing.Request{CustomerID: "c1", Currency: "EUR", Destination: pricing.Destination{Country: "DE"}, Lines: lines, Now: now}
}

// mustQuote prices req and checks the totals add up as rule 6 says.
func mustQuote(t *testing.T, q pricing.Quoter, req pricing.Request) pricing.Quote {
	t.Helper()
	out, err := q.Quote(context.Background(), req)
	if err != nil {
		t.Fatalf("quote: %v", err)
	}
	checkAddsUp(t, out)
	return out
}

// checkAddsUp checks rule 6: the order's parts are the sums of its lines' and shipments'.
func checkAddsUp(t *testing.T, q pricing.Quote) {
	t.Helper()
	var sub, disc, ship, shipDisc, tax int64
	for _, l := range q.Lines {
		if l.SubtotalCents != l.UnitPriceCents*l.Quantity {
			t.Errorf("line %d subtotal %d, want %d × %d", l.ProductID, l.SubtotalCents, l.UnitPriceCents, l.Quantity)
		}
		want := l.SubtotalCents - l.DiscountCents
		if !q.PricesIncludeTax {
			want += l.TaxCents
		}
		if l.TotalCents != want {
			t.Errorf("line %d total %d, want %d", l.ProductID, l.TotalCents, want)
		}
		sub, disc, tax = sub+l.SubtotalCents, disc+l.DiscountCents, tax+l.TaxCents
	}
	for _, s := range q.Shipments {
		ship, shipDisc, tax = ship+s.ShippingCents, shipDisc+s.DiscountCents, tax+s.TaxCents
	}
	total := sub - disc + ship - shipDisc
	if !q.PricesIncludeTax {
		total += tax
	}
	got := [6]int64{q.SubtotalCents, q.DiscountCents, q.ShippingCents, q.ShippingDiscountCents, q.TaxCents, q.TotalCents}
	if want := [6]int64{sub, disc, ship, shipDisc, tax, total}; got != want {
		t.Errorf("totals (subtotal, discount, shipping, shipping discount, tax, total) = %v, want %v", got, want)
	}
}

// wantFieldError checks err is an *errs.Error of code naming field in details.fields, and
// returns it.
func wantFieldError(t *testing.T, err error, code errs.Code, field string) *errs.Error {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want an *errs.Error", err, err)
	}
	if e.Code != code {
		t.Errorf("code %q, want %q (%v)", e.Code, code, e)
	}
	fields, _ := e.Details["fields"].(map[string]string)
	if fields[field] == "" {
		t.Errorf("details.fields has no %q: %v", field, e.Details)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

// TestQuoteShippingCharges covers rule 3's charge for one shipment: free at or over
// free_over_cents, flat, or by started kilogram.
func TestQuoteShippingCharges(t *testing.T) {
	t.Parallel()
	flat := pricing.Method{Code: "flat", Name: "Flat", Kind: pricing.KindFlat, PriceCents: 500, FreeOverCents: ptr[int64](1000)}
	weight := pricing.Method{Code: "kg", Name: "By weight", Kind: pricing.KindWeight, PriceCents: 100, PerKgCents: 50}
	cases := []struct {
		name   string
		method pricing.Method
		price  int64
		qty    int64
		grams  int64
		want   int64
	}{
		{"goods one cent under free_over pay the flat price", flat, 999, 1, 0, 500},
		{"goods equal to free_over ship free", flat, 1000, 1, 0, 0},
		{"goods over free_over ship free", flat, 1001, 1, 0, 0},
		{"free_over counts the quantity", flat, 250, 4, 0, 0},
		{"weightless goods pay the base price", weight, 10, 1, 0, 100},
		{"1 g is one started kilogram", weight, 10, 1, 1, 150},
		{"1000 g is one kilogram", weight, 10, 1, 1000, 150},
		{"1001 g is two started kilograms", weight, 10, 1, 1001, 200},
		{"weight is per unit times quantity: 2 × 501 g is 2 kg", weight, 10, 2, 501, 200},
		{"weight is per unit times quantity: 2 × 500 g is 1 kg", weight, 10, 2, 500, 150},
		{"a weight method with free_over ships free at it", pricing.Method{Code: "kg", Kind: pricing.KindWeight, PriceCents: 100,
			PerKgCents: 50, FreeOverCents: ptr[int64](0)}, 10, 1, 5000, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := fakeSource{zones: map[string][]fakeMethod{"DE": {{tc.method, "EUR"}}}}
			l := line(1, tc.price, tc.qty)
			l.WeightGrams = tc.grams
			q := mustQuote(t, quoter(src, nil, false), request(l))
			if len(q.Shipments) != 1 || q.Shipments[0].ShippingCents != tc.want || q.ShippingCents != tc.want {
				t.Fatalf("shipments %+v, shipping %d; want one shipment charged %d", q.Shipments, q.ShippingCents, tc.want)
			}
			if s := q.Shipments[0]; s.WeightGrams != tc.grams*tc.qty || s.GoodsCents != tc.price*tc.qty || s.MethodCode != tc.method.Code {
				t.Errorf("shipment %+v, want weight %d, goods %d, method %s", s, tc.grams*tc.qty, tc.price*tc.qty, tc.method.Code)
			}
		})
	}
}

// TestQuoteShipmentsPerSeller covers rule 2: one shipment per seller in order of first
// appearance, each charged on its own goods and weight, and rule 3's option totals.
func TestQuoteShipmentsPerSeller(t *testing.T) {
	t.Parallel()
	src := fakeSource{zones: map[string][]fakeMethod{"DE": {
		{pricing.Method{Code: "standard", Name: "Standard", Kind: pricing.KindFlat, PriceCents: 400, FreeOverCents: ptr[int64](2000)}, "EUR"},
		{pricing.Method{Code: "heavy", Name: "Heavy", Kind: pricing.KindWeight, PriceCents: 450, PerKgCents: 100}, "EUR"},
	}}}
	a1, b, a2 := line(1, 1500, 1), line(2, 300, 1), line(3, 600, 1)
	a1.SellerID, b.SellerID, a2.SellerID = "A", "B", "A"
	a1.WeightGrams, b.WeightGrams, a2.WeightGrams = 1200, 100, 900
	q := mustQuote(t, quoter(src, nil, false), request(b, a1, a2))
	// B: goods 300, 100 g -> standard 400, heavy 450+100. A: goods 2100 (free standard), 2100 g -> heavy 450+300.
	if len(q.Shipments) != 2 || q.Shipments[0].SellerID != "B" || q.Shipments[1].SellerID != "A" {
		t.Fatalf("shipments %+v, want B then A", q.Shipments)
	}
	if s := q.Shipments[1]; s.GoodsCents != 2100 || s.WeightGrams != 2100 {
		t.Errorf("seller A's shipment %+v, want goods 2100 and 2100 g", s)
	}
	wantOptions := []pricing.Option{{Code: "standard", Name: "Standard", ShippingCents: 400}, {Code: "heavy", Name: "Heavy", ShippingCents: 550 + 750}}
	if len(q.ShippingOptions) != 2 || q.ShippingOptions[0] != wantOptions[0] || q.ShippingOptions[1] != wantOptions[1] {
		t.Errorf("options %+v, want %+v", q.ShippingOptions, wantOptions)
	}
	if q.ShippingMethod != "standard" || q.ShippingCents != 400 || q.Shipments[0].ShippingCents != 400 || q.Shipments[1].ShippingCents != 0 {
		t.Errorf("method %s shipping %d shipments %+v; want standard, 400 for B and 0 for A", q.ShippingMethod, q.ShippingCents, q.Shipments)
	}
}

// TestQuoteChoosesMethod covers rule 3's choice: the cheapest option without shipping_method
// (the first listed of equal totals), the named one with it, and the errors.
func TestQuoteChoosesMethod(t *testing.T) {
	t.Parallel()
	// Listed by price_cents then code, as the source promises.
	bulk := pricing.Method{Code: "bulk", Name: "Bulk", Kind: pricing.KindWeight, PriceCents: 100, PerKgCents: 200}
	standard := pricing.Method{Code: "standard", Name: "Standard", Kind: pricing.KindFlat, PriceCents: 500}
	express := pricing.Method{Code: "express", Name: "Express", Kind: pricing.KindFlat, PriceCents: 900}
	zones := map[string][]fakeMethod{
		"DE": {{bulk, "EUR"}, {standard, "EUR"}, {express, "EUR"}, {pricing.Method{Code: "dollar", Kind: pricing.KindFlat, PriceCents: 1}, "USD"}},
		"AT": {{pricing.Method{Code: "b", Name: "B", Kind: pricing.KindFlat, PriceCents: 300}, "EUR"},
			{pricing.Method{Code: "a", Name: "A", Kind: pricing.KindWeight, PriceCents: 200, PerKgCents: 100}, "EUR"}},
		"CH": {{pricing.Method{Code: "franc", Kind: pricing.KindFlat, PriceCents: 100}, "CHF"}},
	}
	src := fakeSource{zones: zones}
	cases := []struct {
		name     string
		country  string
		grams    int64
		method   string
		want     string
		shipping int64
	}{
		{"light goods: bulk (100 + 200 × 1) is cheapest", "DE", 500, "", "bulk", 300},
		{"heavy goods: standard (500) beats bulk (100 + 200 × 3)", "DE", 2500, "", "standard", 500},
		{"equal totals: the first listed wins", "DE", 2000, "", "bulk", 500},
		{"equal totals in another listing: the first listed wins", "AT", 1000, "", "b", 300},
		{"explicit method even when dearer", "DE", 500, "express", "express", 900},
		{"explicit method equal to another", "AT", 1000, "a", "a", 300},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := line(1, 1000, 1)
			l.WeightGrams = tc.grams
			req := request(l)
			req.Destination.Country, req.ShippingMethod = tc.country, tc.method
			q := mustQuote(t, quoter(src, nil, false), req)
			if q.ShippingMethod != tc.want || q.ShippingCents != tc.shipping || q.Shipments[0].MethodCode != tc.want {
				t.Errorf("method %q shipping %d, want %q %d (options %+v)", q.ShippingMethod, q.ShippingCents, tc.want, tc.shipping, q.ShippingOptions)
			}
		})
	}

	errCases := []struct {
		name    string
		src     fakeSource
		country string
		method  string
		field   string
	}{
		{"a method the zone does not offer", src, "DE", "pigeon", "shipping_method"},
		{"a method of another currency is not offered", src, "DE", "dollar", "shipping_method"},
		{"a method of another zone is not offered", src, "DE", "a", "shipping_method"},
		{"a country in no zone", src, "FR", "", "shipping_address.country"},
		{"a country in no zone, with a method", src, "FR", "standard", "shipping_address.country"},
		{"a zone with no method in the currency", src, "CH", "", "shipping_address.country"},
		{"a shop without zones offers no method by name", fakeSource{}, "DE", "standard", "shipping_method"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := request(line(1, 1000, 1))
			req.Destination.Country, req.ShippingMethod = tc.country, tc.method
			_, err := quoter(tc.src, nil, false).Quote(context.Background(), req)
			wantFieldError(t, err, errs.Unprocessable, tc.field)
		})
	}

	t.Run("a shop without zones charges no shipping", func(t *testing.T) {
		t.Parallel()
		q := mustQuote(t, quoter(fakeSource{}, fakeRates{{Country: "DE", TaxClass: "shipping", RatePPM: 190000}}, false), request(line(1, 1000, 1)))
		if q.ShippingCents != 0 || q.ShippingMethod != "" || len(q.ShippingOptions) != 0 || q.TotalCents != 1000 {
			t.Errorf("quote %+v, want no shipping and a total of 1000", q)
		}
		for _, s := range q.Shipments {
			if s.ShippingCents != 0 || s.TaxCents != 0 || s.MethodCode != "" {
				t.Errorf("shipment %+v priced in a shop without shipping", s)
			}
		}
	})
}

// TestQuoteOverflow prices the largest line the bounds allow, 10^11 × 1000, at 100% tax:
// the intermediate products (10^20) overflow int64, the results do not.
func TestQuoteOverflow(t *testing.T) {
	t.Parallel()
	const price, qty, amount = int64(100_000_000_000), int64(1000), int64(100_000_000_000_000)
	rates := fakeRates{{Country: "DE", TaxClass: "standard", RatePPM: 1_000_000}}
	cases := []struct {
		name      string
		inclusive bool
		promo     *pricing.Promotion
		discount  int64
		tax       int64
		total     int64
	}{
		{"exclusive", false, nil, 0, amount, 2 * amount},
		{"inclusive: half the price is tax", true, nil, 0, amount / 2, amount},
		{"99.99% off", false, &pricing.Promotion{ID: 1, Name: "p", Kind: pricing.PromoPercent, PercentBP: 9999, AppliesTo: pricing.ScopeOrder, Active: true},
			amount / 10000 * 9999, amount / 10000, amount / 10000 * 2},
		{"fixed 10^11 off", false, &pricing.Promotion{ID: 1, Name: "p", Kind: pricing.PromoFixed, AmountCents: 100_000_000_000, Currency: "EUR",
			AppliesTo: pricing.ScopeOrder, Active: true}, 100_000_000_000, amount - 100_000_000_000, 2 * (amount - 100_000_000_000)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := fakeSource{}
			if tc.promo != nil {
				src.promos = []pricing.Promotion{*tc.promo}
			}
			q := mustQuote(t, quoter(src, rates, tc.inclusive), request(line(1, price, qty), line(2, 1, 1)))
			l := q.Lines[0]
			if l.SubtotalCents != amount || l.DiscountCents != tc.discount || l.TaxCents != tc.tax || l.TotalCents != tc.total {
				t.Errorf("line %+v, want subtotal %d discount %d tax %d total %d", l, amount, tc.discount, tc.tax, tc.total)
			}
		})
	}
}
