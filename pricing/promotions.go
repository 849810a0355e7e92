package pricing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"shopflow/errs"
)

// promote applies one promotion: the coupon when one is given (it must be usable), otherwise
// the automatic promotion that takes the most off the order (the lowest id on a tie).
func (q Quoter) promote(ctx context.Context, req Request, out *Quote) error {
	promos, err := q.Source.Promotions(ctx, req.CustomerID, req.Coupon, req.Now)
	if err != nil {
		return fmt.Errorf("promotions: %w", err)
	}
	if req.Coupon != "" {
		if len(promos) == 0 {
			return couponError(errs.Unprocessable, "unknown", fmt.Sprintf("%q is not a coupon code", req.Coupon))
		}
		p := promos[0]
		if err := usable(p, req, out); err != nil {
			return err
		}
		lines, ships := Discounts(p, req.Lines, out.Shipments)
		apply(out, p, lines, ships)
		return nil
	}
	best, bestTotal := -1, int64(0)
	var bestLines, bestShips []int64
	for i, p := range promos {
		if usable(p, req, out) != nil {
			continue
		}
		lines, ships := Discounts(p, req.Lines, out.Shipments)
		total := sum(lines) + sum(ships)
		if total > bestTotal || (total == bestTotal && total > 0 && p.ID < promos[best].ID) {
			best, bestTotal, bestLines, bestShips = i, total, lines, ships
		}
	}
	if best >= 0 {
		apply(out, promos[best], bestLines, bestShips)
	}
	return nil
}

func apply(out *Quote, p Promotion, lines, ships []int64) {
	for i := range out.Lines {
		out.Lines[i].DiscountCents = lines[i]
	}
	for j := range out.Shipments {
		out.Shipments[j].DiscountCents = ships[j]
	}
	out.Promotion = &AppliedPromo{ID: p.ID, Name: p.Name, Code: p.Code, Kind: p.Kind}
}

// usable says why p cannot apply to the order, or nil.
func usable(p Promotion, req Request, out *Quote) *errs.Error {
	switch {
	case !p.Active:
		return couponError(errs.Unprocessable, "inactive", "is not active")
	case req.Now.Before(p.StartsAt):
		return couponError(errs.Unprocessable, "not_started", "is not valid before "+p.StartsAt.UTC().Format(time.RFC3339))
	case p.EndsAt != nil && !req.Now.Before(*p.EndsAt):
		return couponError(errs.Unprocessable, "expired", "expired at "+p.EndsAt.UTC().Format(time.RFC3339))
	case p.Currency != "" && p.Currency != req.Currency:
		// Any promotion with a currency, not only a fixed one or one with a minimum (which
		// must have one): a 90%-off coupon set up for USD does not apply to an order in EUR.
		return couponError(errs.Unprocessable, "currency", "applies to orders in "+p.Currency)
	case out.SubtotalCents < p.MinSubtotalCents:
		return couponError(errs.Unprocessable, "minimum", fmt.Sprintf("needs an order of at least %d (minor units of %s)", p.MinSubtotalCents, p.Currency))
	case !anyEligible(p, req.Lines):
		return couponError(errs.Unprocessable, "not_applicable", "applies to none of the items")
	case p.UsageLimit != nil && p.Uses >= *p.UsageLimit:
		return couponError(errs.Conflict, "used_up", "has been used up")
	case p.PerCustomerLimit != nil && p.CustomerUses >= *p.PerCustomerLimit:
		return couponError(errs.Conflict, "customer_limit", fmt.Sprintf("can be used %d time(s) per customer, and you have", *p.PerCustomerLimit))
	}
	return nil
}

// Discounts is what p takes off each line and each shipment. Percentages are rounded half up
// per line; a fixed amount (at most the eligible lines' total) is shared among the eligible
// lines in proportion to their amounts, the minor units left by rounding down going one each
// to the lines with the largest remainders (the earlier line on a tie); free shipping clears
// each shipment holding an eligible line.
func Discounts(p Promotion, lines []Line, shipments []Shipment) (lineOff, shipOff []int64) {
	lineOff, shipOff = make([]int64, len(lines)), make([]int64, len(shipments))
	products, categories := sortedCopy(p.ProductIDs), sortedCopy(p.CategoryIDs)
	eligible := func(l Line) bool { return eligibleLine(p.AppliesTo, products, categories, l) }
	switch p.Kind {
	case PromoPercent:
		for i, l := range lines {
			if eligible(l) {
				lineOff[i] = mulDivRound(l.UnitPriceCents*l.Quantity, p.PercentBP, 10_000)
			}
		}
	case PromoFixed:
		var base int64
		for _, l := range lines {
			if eligible(l) {
				base += l.UnitPriceCents * l.Quantity
			}
		}
		if base == 0 {
			return lineOff, shipOff
		}
		off := min(p.AmountCents, base)
		type rem struct{ line, r int64 }
		var rems []rem
		left := off
		for i, l := range lines {
			if !eligible(l) {
				continue
			}
			share, r := mulDivFloor(off, l.UnitPriceCents*l.Quantity, base)
			lineOff[i] = share
			left -= share
			rems = append(rems, rem{int64(i), r})
		}
		slices.SortStableFunc(rems, func(a, b rem) int { return cmp.Compare(b.r, a.r) })
		for k := int64(0); k < left; k++ {
			lineOff[rems[k].line]++
		}
	case PromoFreeShipping:
		for j, s := range shipments {
			for _, l := range lines {
				if l.SellerID == s.SellerID && eligible(l) {
					shipOff[j] = s.ShippingCents
					break
				}
			}
		}
	}
	return lineOff, shipOff
}

func anyEligible(p Promotion, lines []Line) bool {
	products, categories := sortedCopy(p.ProductIDs), sortedCopy(p.CategoryIDs)
	for _, l := range lines {
		if eligibleLine(p.AppliesTo, products, categories, l) {
			return true
		}
	}
	return false
}

// eligibleLine says whether a promotion scoped by appliesTo covers line l; products and
// categories are sorted.
func eligibleLine(appliesTo string, products, categories []int64, l Line) bool {
	switch appliesTo {
	case ScopeProducts:
		_, ok := slices.BinarySearch(products, l.ProductID)
		return ok
	case ScopeCategories:
		_, ok := slices.BinarySearch(categories, l.CategoryID)
		return ok
	}
	return true
}

// couponError is a coupon the order cannot use, with reason as a stable machine-readable word.
func couponError(code errs.Code, reason, problem string) *errs.Error {
	return fieldError(code, "coupon", problem).WithDetails("reason", reason)
}

func sum(xs []int64) int64 {
	var t int64
	for _, x := range xs {
		t += x
	}
	return t
}
