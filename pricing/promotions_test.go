package pricing_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"shopflow/errs"
	"shopflow/pricing"
)

// coupon is a usable coupon "SAVE" of kind for the whole order, with no limits.
func coupon(kind string) pricing.Promotion {
	return pricing.Promotion{ID: 7, Name: "Save", Code: "SAVE", Kind: kind, AppliesTo: pricing.ScopeOrder,
		StartsAt: now.Add(-time.Hour), Active: true}
}

// TestQuoteLineDiscounts covers rule 4's discounts per line: percent rounded half up per line,
// fixed shared by largest remainders (the earlier line on a tie), capped at the eligible sum,
// and only on eligible lines.
func TestQuoteLineDiscounts(t *testing.T) {
	t.Parallel()
	percent := func(bp int64) pricing.Promotion { p := coupon(pricing.PromoPercent); p.PercentBP = bp; return p }
	fixed := func(amount int64) pricing.Promotion {
		p := coupon(pricing.PromoFixed)
		p.AmountCents, p.Currency = amount, "EUR"
		return p
	}
	scoped := func(p pricing.Promotion, products ...int64) pricing.Promotion {
		p.AppliesTo, p.ProductIDs = pricing.ScopeProducts, products
		return p
	}
	inCategories := func(p pricing.Promotion, categories ...int64) pricing.Promotion {
		p.AppliesTo, p.CategoryIDs = pricing.ScopeCategories, categories
		return p
	}
	cases := []struct {
		name   string
		promo  pricing.Promotion
		prices []int64 // one line each, product ids 1, 2, ...; category = product id × 10
		want   []int64
		qty    int64 // of every line
	}{
		{"1% of 50 is half a cent: rounds up", percent(100), []int64{50}, []int64{1}, 1},
		{"1% of 49 rounds down", percent(100), []int64{49}, []int64{0}, 1},
		{"1% of 150 = 1.5 rounds up", percent(100), []int64{150}, []int64{2}, 1},
		{"percent per line: 3 × 10% of 105 = 3 × 11, not 32", percent(1000), []int64{105, 105, 105}, []int64{11, 11, 11}, 1},
		{"percent of the line's subtotal, not per unit: 10% of 3 × 105 = 31.5", percent(1000), []int64{105}, []int64{32}, 3},
		{"fixed shared by line subtotals: 5 × 10 and 5 × 50 share 11 as 1.83 and 9.17", fixed(11), []int64{10, 50}, []int64{2, 9}, 5},
		{"100% takes the whole line", percent(10000), []int64{1234, 1}, []int64{1234, 1}, 1},
		{"percent on eligible products only", scoped(percent(5000), 2), []int64{100, 300}, []int64{0, 150}, 1},
		{"percent on eligible categories only", inCategories(percent(5000), 10, 30), []int64{100, 300, 500}, []int64{50, 0, 250}, 1},
		{"fixed shares exactly when it divides", fixed(60), []int64{100, 200, 300}, []int64{10, 20, 30}, 1},
		{"fixed remainder to the largest remainder: 16.67, 33.33, 50", fixed(100), []int64{100, 200, 300}, []int64{17, 33, 50}, 1},
		{"fixed tie on remainders: the earlier line", fixed(100), []int64{100, 100, 100}, []int64{34, 33, 33}, 1},
		{"fixed two units left on a three-way tie", fixed(200), []int64{100, 100, 100}, []int64{67, 67, 66}, 1},
		{"fixed remainder goes by remainder, not by size: 0.75 vs 2.25", fixed(3), []int64{100, 300}, []int64{1, 2}, 1},
		{"fixed larger than the order takes all of it", fixed(1000), []int64{100, 50}, []int64{100, 50}, 1},
		{"fixed equal to the order takes all of it", fixed(150), []int64{100, 50}, []int64{100, 50}, 1},
		{"fixed larger than the eligible lines takes those only", scoped(fixed(1000), 1, 3), []int64{100, 70, 50}, []int64{100, 0, 50}, 1},
		{"fixed shared among eligible lines only, tie to the earlier eligible", scoped(fixed(1), 1, 3), []int64{100, 500, 100}, []int64{1, 0, 0}, 1},
		{"fixed on a later eligible line with the larger remainder", scoped(fixed(1), 2, 3), []int64{999, 100, 300}, []int64{0, 0, 1}, 1},
		{"fixed: one unit among zero-priced and priced lines", fixed(1), []int64{0, 7}, []int64{0, 1}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var lines []pricing.Line
			for i, p := range tc.prices {
				l := line(int64(i+1), p, tc.qty)
				l.CategoryID = int64(i+1) * 10
				lines = append(lines, l)
			}
			req := request(lines...)
			req.Coupon = "save"
			q := mustQuote(t, quoter(fakeSource{promos: []pricing.Promotion{tc.promo}}, nil, false), req)
			var got []int64
			for _, l := range q.Lines {
				got = append(got, l.DiscountCents)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("discounts %v, want %v", got, tc.want)
			}
			if q.Promotion == nil || q.Promotion.ID != tc.promo.ID || q.Promotion.Code != "SAVE" {
				t.Errorf("promotion %+v, want the coupon", q.Promotion)
			}
		})
	}
}

// TestQuoteFreeShipping covers rule 4's free shipping: each shipment holding an eligible line
// loses its charge, the others keep it.
func TestQuoteFreeShipping(t *testing.T) {
	t.Parallel()
	zones := map[string][]fakeMethod{"DE": {{pricing.Method{Code: "std", Name: "Std", Kind: pricing.KindFlat, PriceCents: 400}, "EUR"}}}
	p := coupon(pricing.PromoFreeShipping)
	p.AppliesTo, p.ProductIDs = pricing.ScopeProducts, []int64{2}
	a, b, c := line(1, 100, 1), line(2, 100, 1), line(3, 100, 1)
	a.SellerID, b.SellerID, c.SellerID = "A", "B", "B"
	req := request(a, c, b)
	req.Coupon = "SAVE"
	q := mustQuote(t, quoter(fakeSource{zones: zones, promos: []pricing.Promotion{p}}, nil, false), req)
	if q.Shipments[0].DiscountCents != 0 || q.Shipments[1].DiscountCents != 400 || q.ShippingDiscountCents != 400 || q.TotalCents != 300+400 {
		t.Errorf("shipments %+v, total %d; want seller B's 400 off and a total of 700", q.Shipments, q.TotalCents)
	}
	for _, l := range q.Lines {
		if l.DiscountCents != 0 {
			t.Errorf("free shipping took %d off line %d", l.DiscountCents, l.ProductID)
		}
	}
}

// TestQuoteCouponReasons covers every reason a coupon cannot be used, with its code, and the
// boundaries on the usable side.
func TestQuoteCouponReasons(t *testing.T) {
	t.Parallel()
	with := func(edit func(p *pricing.Promotion)) pricing.Promotion {
		p := coupon(pricing.PromoPercent)
		p.PercentBP = 1000
		edit(&p)
		return p
	}
	cases := []struct {
		name   string
		promo  pricing.Promotion
		code   errs.Code // "" when the coupon is usable
		reason string
	}{
		{"unknown", with(func(p *pricing.Promotion) { p.Code = "OTHER" }), errs.Unprocessable, "unknown"},
		{"inactive", with(func(p *pricing.Promotion) { p.Active = false }), errs.Unprocessable, "inactive"},
		{"not started", with(func(p *pricing.Promotion) { p.StartsAt = now.Add(time.Second) }), errs.Unprocessable, "not_started"},
		{"starting now is started", with(func(p *pricing.Promotion) { p.StartsAt = now }), "", ""},
		{"ending now has expired", with(func(p *pricing.Promotion) { p.EndsAt = ptr(now) }), errs.Unprocessable, "expired"},
		{"ended before now", with(func(p *pricing.Promotion) { p.EndsAt = ptr(now.Add(-time.Minute)) }), errs.Unprocessable, "expired"},
		{"ending after now is running", with(func(p *pricing.Promotion) { p.EndsAt = ptr(now.Add(time.Nanosecond)) }), "", ""},
		{"fixed in another currency", with(func(p *pricing.Promotion) {
			p.Kind, p.PercentBP, p.AmountCents, p.Currency = pricing.PromoFixed, 0, 100, "USD"
		}), errs.Unprocessable, "currency"},
		{"a minimum in another currency", with(func(p *pricing.Promotion) { p.Currency, p.MinSubtotalCents = "USD", 1 }), errs.Unprocessable, "currency"},
		{"a percent coupon in another currency", with(func(p *pricing.Promotion) { p.Currency = "USD" }), errs.Unprocessable, "currency"},
		{"a free-shipping coupon in another currency", with(func(p *pricing.Promotion) {
			p.Kind, p.PercentBP, p.Currency = pricing.PromoFreeShipping, 0, "USD"
		}), errs.Unprocessable, "currency"},
		{"a coupon in the order's currency", with(func(p *pricing.Promotion) { p.Currency = "EUR" }), "", ""},
		{"under the minimum by a cent", with(func(p *pricing.Promotion) { p.Currency, p.MinSubtotalCents = "EUR", 1001 }), errs.Unprocessable, "minimum"},
		{"at the minimum", with(func(p *pricing.Promotion) { p.Currency, p.MinSubtotalCents = "EUR", 1000 }), "", ""},
		{"for other products", with(func(p *pricing.Promotion) { p.AppliesTo, p.ProductIDs = pricing.ScopeProducts, []int64{9} }), errs.Unprocessable, "not_applicable"},
		{"for other categories", with(func(p *pricing.Promotion) { p.AppliesTo, p.CategoryIDs = pricing.ScopeCategories, []int64{9} }), errs.Unprocessable, "not_applicable"},
		{"for a category of the order (or its ancestor, as the source expands it)", with(func(p *pricing.Promotion) {
			p.AppliesTo, p.CategoryIDs = pricing.ScopeCategories, []int64{9, 1}
		}), "", ""},
		{"used up", with(func(p *pricing.Promotion) { p.UsageLimit, p.Uses = ptr[int64](5), 5 }), errs.Conflict, "used_up"},
		{"a limit of none is used up", with(func(p *pricing.Promotion) { p.UsageLimit = ptr[int64](0) }), errs.Conflict, "used_up"},
		{"one use left", with(func(p *pricing.Promotion) { p.UsageLimit, p.Uses = ptr[int64](5), 4 }), "", ""},
		{"used as often as one customer may", with(func(p *pricing.Promotion) { p.PerCustomerLimit, p.CustomerUses = ptr[int64](1), 1 }),
			errs.Conflict, "customer_limit"},
		{"one more use for this customer", with(func(p *pricing.Promotion) { p.PerCustomerLimit, p.CustomerUses = ptr[int64](2), 1 }), "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := request(line(1, 600, 1), line(2, 400, 1))
			req.Coupon = "Save"
			q, err := quoter(fakeSource{promos: []pricing.Promotion{tc.promo}}, nil, false).Quote(context.Background(), req)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("coupon refused: %v", err)
				}
				if q.Promotion == nil || q.DiscountCents != 100 {
					t.Errorf("promotion %+v discount %d, want the coupon's 100", q.Promotion, q.DiscountCents)
				}
				return
			}
			e := wantFieldError(t, err, tc.code, "coupon")
			if e.Details["reason"] != tc.reason {
				t.Errorf("details.reason %v, want %s (%v)", e.Details["reason"], tc.reason, e)
			}
		})
	}
}

// TestQuoteBestAutomaticPromotion covers rule 4 without a coupon: the usable automatic
// promotion taking the most (goods and shipping), the lowest id on a tie, none when none
// takes anything.
func TestQuoteBestAutomaticPromotion(t *testing.T) {
	t.Parallel()
	auto := func(id int64, kind string, edit func(p *pricing.Promotion)) pricing.Promotion {
		p := pricing.Promotion{ID: id, Name: "auto", Kind: kind, AppliesTo: pricing.ScopeOrder, StartsAt: now.Add(-time.Hour), Active: true}
		if edit != nil {
			edit(&p)
		}
		return p
	}
	tenPercent := func(p *pricing.Promotion) { p.PercentBP = 1000 }
	amount := func(cents int64) func(p *pricing.Promotion) {
		return func(p *pricing.Promotion) { p.AmountCents, p.Currency = cents, "EUR" }
	}
	zones := map[string][]fakeMethod{"DE": {{pricing.Method{Code: "std", Name: "Std", Kind: pricing.KindFlat, PriceCents: 150, FreeOverCents: ptr[int64](5000)}, "EUR"}}}
	cases := []struct {
		name   string
		price  int64 // one line
		promos []pricing.Promotion
		want   int64 // promotion id, 0 for none
		off    int64 // discount + shipping discount
	}{
		{"the largest discount", 1000, []pricing.Promotion{auto(1, pricing.PromoPercent, tenPercent), auto(2, pricing.PromoFixed, amount(120))}, 2, 120},
		{"shipping counts: free shipping 150 beats 10% (100)", 1000, []pricing.Promotion{auto(1, pricing.PromoPercent, tenPercent),
			auto(2, pricing.PromoFreeShipping, nil)}, 2, 150},
		{"a tie goes to the lowest id, whatever the order read", 1000, []pricing.Promotion{auto(5, pricing.PromoFixed, amount(100)),
			auto(3, pricing.PromoPercent, tenPercent), auto(4, pricing.PromoFixed, amount(100))}, 3, 100},
		{"an unusable larger promotion is passed over", 1000, []pricing.Promotion{auto(1, pricing.PromoPercent, tenPercent),
			auto(2, pricing.PromoFixed, func(p *pricing.Promotion) { amount(900)(p); p.MinSubtotalCents = 1001 }),
			auto(3, pricing.PromoFixed, func(p *pricing.Promotion) { amount(900)(p); p.Active = false }),
			auto(4, pricing.PromoFixed, func(p *pricing.Promotion) { amount(900)(p); p.EndsAt = ptr(now) }),
			auto(5, pricing.PromoFixed, func(p *pricing.Promotion) { amount(900)(p); p.StartsAt = now.Add(time.Minute) }),
			auto(6, pricing.PromoFixed, func(p *pricing.Promotion) { amount(900)(p); p.UsageLimit = ptr[int64](0) }),
			auto(7, pricing.PromoFixed, func(p *pricing.Promotion) {
				amount(900)(p)
				p.AppliesTo, p.ProductIDs = pricing.ScopeProducts, []int64{9}
			}),
			auto(8, pricing.PromoFixed, func(p *pricing.Promotion) { amount(900)(p); p.Currency = "USD" }),
			auto(9, pricing.PromoPercent, func(p *pricing.Promotion) { p.PercentBP = 9000; p.Currency = "USD" }),
			auto(10, pricing.PromoFixed, func(p *pricing.Promotion) { amount(900)(p); p.PerCustomerLimit, p.CustomerUses = ptr[int64](1), 1 }),
		}, 1, 100},
		{"free shipping on free shipping takes nothing: none", 6000, []pricing.Promotion{auto(1, pricing.PromoFreeShipping, nil)}, 0, 0},
		{"a coupon never applies by itself", 1000, []pricing.Promotion{func() pricing.Promotion {
			p := coupon(pricing.PromoPercent)
			p.PercentBP = 1000
			return p
		}()}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := mustQuote(t, quoter(fakeSource{zones: zones, promos: tc.promos}, nil, false), request(line(1, tc.price, 1)))
			var got int64
			if q.Promotion != nil {
				got = q.Promotion.ID
			}
			if got != tc.want || q.DiscountCents+q.ShippingDiscountCents != tc.off {
				t.Errorf("promotion %d taking %d, want %d taking %d", got, q.DiscountCents+q.ShippingDiscountCents, tc.want, tc.off)
			}
		})
	}
}
