package pricing

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"shopflow/errs"
)

// Quoter prices orders.
type Quoter struct {
	Source Source
	Tax    TaxProvider
	// PricesIncludeTax says catalog prices have tax in them (SHOPFLOW_PRICES_INCLUDE_TAX).
	PricesIncludeTax bool
}

// Quote prices req: shipping per seller by the chosen (or cheapest) method, the coupon or the
// best automatic promotion, then tax on what is left of each line and shipment. An unknown or
// unusable coupon, a destination the shop does not ship to, or a method it does not offer
// there is an error naming the request field, with nothing priced.
func (q Quoter) Quote(ctx context.Context, req Request) (Quote, error) {
	out := Quote{Currency: req.Currency, PricesIncludeTax: q.PricesIncludeTax, ShippingOptions: []Option{}}
	for _, l := range req.Lines {
		sub := l.UnitPriceCents * l.Quantity
		out.Lines = append(out.Lines, QuotedLine{ProductID: l.ProductID, Name: l.Name, SellerID: l.SellerID, Quantity: l.Quantity,
			UnitPriceCents: l.UnitPriceCents, SubtotalCents: sub, TaxClass: l.TaxClass})
		out.SubtotalCents += sub
	}
	out.Shipments = shipmentsOf(req.Lines)
	if err := q.ship(ctx, req, &out); err != nil {
		return Quote{}, err
	}
	if err := q.promote(ctx, req, &out); err != nil {
		return Quote{}, err
	}
	if err := q.tax(ctx, req, &out); err != nil {
		return Quote{}, err
	}
	out.total()
	return out, nil
}

// shipmentsOf groups the lines by seller, in the order each seller first appears.
func shipmentsOf(lines []Line) []Shipment {
	var out []Shipment
	at := map[string]int{}
	for _, l := range lines {
		i, ok := at[l.SellerID]
		if !ok {
			i = len(out)
			at[l.SellerID] = i
			out = append(out, Shipment{SellerID: l.SellerID})
		}
		out[i].GoodsCents += l.UnitPriceCents * l.Quantity
		out[i].WeightGrams += l.WeightGrams * l.Quantity
	}
	return out
}

// ship prices every method the destination offers and charges the chosen one per shipment.
func (q Quoter) ship(ctx context.Context, req Request, out *Quote) error {
	methods, zoned, anyZones, err := q.Source.Shipping(ctx, req.Destination.Country, req.Currency)
	if err != nil {
		return fmt.Errorf("shipping methods for %s: %w", req.Destination.Country, err)
	}
	if !anyZones {
		if req.ShippingMethod != "" {
			return fieldError(errs.Unprocessable, "shipping_method", "is not offered: the shop has no shipping methods")
		}
		out.Shipments = []Shipment{} // no shipping set up: goods only, nothing shipped to price
		return nil
	}
	if !zoned || len(methods) == 0 {
		return fieldError(errs.Unprocessable, "shipping_address.country",
			fmt.Sprintf("is not shipped to: no shipping method reaches %s for orders in %s", req.Destination.Country, req.Currency))
	}
	chosen := -1
	for i, m := range methods {
		var total int64
		for _, s := range out.Shipments {
			total += ShipmentCost(m, s.GoodsCents, s.WeightGrams)
		}
		out.ShippingOptions = append(out.ShippingOptions, Option{Code: m.Code, Name: m.Name, ShippingCents: total})
		switch {
		case req.ShippingMethod != "" && m.Code == req.ShippingMethod:
			chosen = i
		case req.ShippingMethod == "" && (chosen < 0 || total < out.ShippingOptions[chosen].ShippingCents):
			chosen = i
		}
	}
	if chosen < 0 {
		codes := make([]string, len(methods))
		for i, m := range methods {
			codes[i] = m.Code
		}
		return fieldError(errs.Unprocessable, "shipping_method",
			fmt.Sprintf("%q is not offered for %s; choose one of %s", req.ShippingMethod, req.Destination.Country, strings.Join(codes, ", ")))
	}
	m := methods[chosen]
	out.ShippingMethod = m.Code
	for i := range out.Shipments {
		s := &out.Shipments[i]
		s.MethodCode, s.MethodName = m.Code, m.Name
		s.ShippingCents = ShipmentCost(m, s.GoodsCents, s.WeightGrams)
		out.ShippingCents += s.ShippingCents
	}
	return nil
}

// ShipmentCost is what method m charges for one shipment: free when its goods (catalog prices,
// before discounts) reach the free-over amount; else the flat price, or the base price plus
// the per-kilogram price for each started kilogram.
func ShipmentCost(m Method, goodsCents, grams int64) int64 {
	if m.FreeOverCents != nil && goodsCents >= *m.FreeOverCents {
		return 0
	}
	if m.Kind == KindWeight {
		return m.PriceCents + m.PerKgCents*((grams+999)/1000)
	}
	return m.PriceCents
}

// tax asks the tax provider for each line's and shipment's tax, on its amount after discounts.
func (q Quoter) tax(ctx context.Context, req Request, out *Quote) error {
	items := make([]TaxItem, 0, len(out.Lines)+len(out.Shipments))
	for _, l := range out.Lines {
		items = append(items, TaxItem{TaxClass: l.TaxClass, AmountCents: l.SubtotalCents - l.DiscountCents})
	}
	for _, s := range out.Shipments {
		items = append(items, TaxItem{TaxClass: ShippingTaxClass, AmountCents: s.ShippingCents - s.DiscountCents})
	}
	taxed, err := q.Tax.Tax(ctx, TaxRequest{Destination: req.Destination, Currency: req.Currency,
		PricesIncludeTax: q.PricesIncludeTax, Items: items})
	if err != nil {
		return err
	}
	if len(taxed) != len(items) {
		return fmt.Errorf("tax provider taxed %d of %d items", len(taxed), len(items))
	}
	for i := range out.Lines {
		out.Lines[i].TaxRatePPM, out.Lines[i].TaxCents = taxed[i].RatePPM, taxed[i].TaxCents
	}
	for j := range out.Shipments {
		t := taxed[len(out.Lines)+j]
		out.Shipments[j].TaxRatePPM, out.Shipments[j].TaxCents = t.RatePPM, t.TaxCents
	}
	return nil
}

// total sums the parts: the order's discount and tax are the sums of its lines' and shipments'.
func (out *Quote) total() {
	out.DiscountCents, out.ShippingDiscountCents, out.TaxCents = 0, 0, 0
	for i := range out.Lines {
		l := &out.Lines[i]
		l.TotalCents = l.SubtotalCents - l.DiscountCents
		if !out.PricesIncludeTax {
			l.TotalCents += l.TaxCents
		}
		out.DiscountCents += l.DiscountCents
		out.TaxCents += l.TaxCents
	}
	for _, s := range out.Shipments {
		out.ShippingDiscountCents += s.DiscountCents
		out.TaxCents += s.TaxCents
	}
	out.TotalCents = out.SubtotalCents - out.DiscountCents + out.ShippingCents - out.ShippingDiscountCents
	if !out.PricesIncludeTax {
		out.TotalCents += out.TaxCents
	}
}

// fieldError is a client error about one request field.
func fieldError(code errs.Code, field, problem string) *errs.Error {
	return (&errs.Error{Code: code, Message: field + " " + problem}).WithDetails("fields", map[string]string{field: problem})
}

// sortedCopy returns ids sorted, for binary search.
func sortedCopy(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
