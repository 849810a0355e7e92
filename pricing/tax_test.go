package pricing_test

import (
	"testing"

	"shopflow/pricing"
)

// TestQuoteTaxesLines covers rule 5 for lines: the region's rate over the country's, the
// class's rate or none, each line rounded half up on its own, with and without tax in prices.
func TestQuoteTaxesLines(t *testing.T) {
	t.Parallel()
	rates := fakeRates{
		{Country: "DE", TaxClass: "standard", RatePPM: 190_000},
		{Country: "DE", TaxClass: "reduced", RatePPM: 70_000},
		{Country: "DE", Region: "BY", TaxClass: "standard", RatePPM: 100_000},
		{Country: "DE", Region: "HB", TaxClass: "books", RatePPM: 10_000},
		{Country: "AT", TaxClass: "one", RatePPM: 10_000},
		{Country: "AT", TaxClass: "all", RatePPM: 1_000_000},
		{Country: "FR", Region: "BY", TaxClass: "standard", RatePPM: 555_555},
	}
	cases := []struct {
		name      string
		country   string
		region    string
		class     string
		price     int64
		inclusive bool
		rate      int64
		tax       int64
	}{
		{"country rate: 1000 × 19%", "DE", "", "standard", 1000, false, 190_000, 190},
		{"1190 × 19% = 226.1 rounds down", "DE", "", "standard", 1190, false, 190_000, 226},
		{"inclusive: 1190 holds 190 of tax", "DE", "", "standard", 1190, true, 190_000, 190},
		{"inclusive: 1000 holds 159.66 of tax", "DE", "", "standard", 1000, true, 190_000, 160},
		{"half a cent rounds up: 50 × 1%", "AT", "", "one", 50, false, 10_000, 1},
		{"under half a cent rounds down: 49 × 1%", "AT", "", "one", 49, false, 10_000, 0},
		{"150 × 1% = 1.5 rounds up", "AT", "", "one", 150, false, 10_000, 2},
		{"inclusive half: 1 at 100% holds 0.5", "AT", "", "all", 1, true, 1_000_000, 1},
		{"inclusive half: 3 at 100% holds 1.5", "AT", "", "all", 3, true, 1_000_000, 2},
		{"inclusive: 101 at 1% holds exactly 1", "AT", "", "one", 101, true, 10_000, 1},
		{"inclusive: 50 at 1% holds 0.495", "AT", "", "one", 50, true, 10_000, 0},
		{"region rate wins over the country's", "DE", "BY", "standard", 1000, false, 100_000, 100},
		{"region compared upper-case", "DE", "by", "standard", 1000, false, 100_000, 100},
		{"a region without its own rate takes the country's", "DE", "HE", "standard", 1000, false, 190_000, 190},
		{"a region's rate for another class does not apply", "DE", "BY", "reduced", 1000, false, 70_000, 70},
		{"a class with only a region rate is untaxed elsewhere", "DE", "", "books", 1000, false, 0, 0},
		{"a class with only a region rate, in that region", "DE", "HB", "books", 1000, false, 10_000, 10},
		{"a class without any rate is untaxed", "DE", "", "other", 1000, false, 0, 0},
		{"another country's rate does not apply", "FR", "", "standard", 1000, false, 0, 0},
		{"another country's region rate does not apply", "DE", "BY", "standard", 1000, false, 100_000, 100},
		{"a country without rates is untaxed", "US", "CA", "standard", 1000, false, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := line(1, tc.price, 1)
			l.TaxClass = tc.class
			req := request(l)
			req.Destination = pricing.Destination{Country: tc.country, Region: tc.region}
			q := mustQuote(t, quoter(fakeSource{}, rates, tc.inclusive), req)
			if got := q.Lines[0]; got.TaxRatePPM != tc.rate || got.TaxCents != tc.tax {
				t.Errorf("rate %d tax %d, want %d %d", got.TaxRatePPM, got.TaxCents, tc.rate, tc.tax)
			}
			total := tc.price
			if !tc.inclusive {
				total += tc.tax
			}
			if q.TotalCents != total || q.PricesIncludeTax != tc.inclusive {
				t.Errorf("total %d (prices include tax %v), want %d", q.TotalCents, q.PricesIncludeTax, total)
			}
		})
	}
}

// TestQuoteTaxRoundsEachLine shows the order's tax is the sum of each line's rounded tax, not
// the order's amount taxed once: three lines of 5 at 10% are 3 × round(0.5) = 3, not round(1.5) = 2.
func TestQuoteTaxRoundsEachLine(t *testing.T) {
	t.Parallel()
	rates := fakeRates{{Country: "DE", TaxClass: "standard", RatePPM: 100_000}}
	q := mustQuote(t, quoter(fakeSource{}, rates, false), request(line(1, 5, 1), line(2, 5, 1), line(3, 5, 1)))
	if q.TaxCents != 3 || q.TotalCents != 18 {
		t.Errorf("tax %d total %d, want 3 and 18", q.TaxCents, q.TotalCents)
	}
}

// TestQuoteTaxesShipping covers rule 5 for shipments: taxed under class "shipping" only where
// such a rate exists, on the charge less its discount.
func TestQuoteTaxesShipping(t *testing.T) {
	t.Parallel()
	zones := map[string][]fakeMethod{"DE": {{pricing.Method{Code: "std", Name: "Std", Kind: pricing.KindFlat, PriceCents: 499}, "EUR"}}}
	standardOnly := fakeRates{{Country: "DE", TaxClass: "standard", RatePPM: 190_000}}
	withShipping := append(fakeRates{{Country: "DE", TaxClass: "shipping", RatePPM: 190_000},
		{Country: "DE", Region: "BY", TaxClass: "shipping", RatePPM: 50_000}}, standardOnly...)
	freeShipping := pricing.Promotion{ID: 1, Name: "Free", Kind: pricing.PromoFreeShipping, AppliesTo: pricing.ScopeOrder, Active: true}
	cases := []struct {
		name      string
		rates     fakeRates
		region    string
		promos    []pricing.Promotion
		inclusive bool
		rate      int64
		tax       int64
		total     int64
	}{
		// Line 1000 + 190 tax in every case without a promotion.
		{"no shipping rate: shipping untaxed though goods are", standardOnly, "", nil, false, 0, 0, 1000 + 190 + 499},
		{"shipping rate: 499 × 19% = 94.81", withShipping, "", nil, false, 190_000, 95, 1000 + 190 + 499 + 95},
		{"shipping rate of the region", withShipping, "by", nil, false, 50_000, 25, 1000 + 190 + 499 + 25},
		{"inclusive: 499 holds 79.67 of tax", withShipping, "", nil, true, 190_000, 80, 1000 + 499},
		{"free shipping leaves nothing to tax", withShipping, "", []pricing.Promotion{freeShipping}, false, 190_000, 0, 1000 + 190},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := request(line(1, 1000, 1))
			req.Destination.Region = tc.region
			q := mustQuote(t, quoter(fakeSource{zones: zones, promos: tc.promos}, tc.rates, tc.inclusive), req)
			if s := q.Shipments[0]; s.TaxRatePPM != tc.rate || s.TaxCents != tc.tax {
				t.Errorf("shipment %+v, want rate %d tax %d", s, tc.rate, tc.tax)
			}
			if q.TotalCents != tc.total {
				t.Errorf("total %d, want %d", q.TotalCents, tc.total)
			}
		})
	}
}
