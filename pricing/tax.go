package pricing

import (
	"context"
	"fmt"
	"strings"
)

// ShippingTaxClass is the tax class shipping charges are taxed under; without a rate for it in
// the destination, shipping is not taxed.
const ShippingTaxClass = "shipping"

// TaxProvider taxes an order's amounts for its destination. The built-in Table reads the
// shop's rates; an external tax service can stand in for it.
type TaxProvider interface {
	Tax(ctx context.Context, req TaxRequest) ([]Taxed, error)
}

// TaxRequest is what to tax: each item's amount after discounts, and its tax class.
type TaxRequest struct {
	Destination      Destination
	Currency         string
	PricesIncludeTax bool
	Items            []TaxItem
}

// TaxItem is one taxable amount: a line's goods or a shipment's charge.
type TaxItem struct {
	TaxClass    string
	AmountCents int64
}

// Taxed is the tax on one TaxItem, in the same order.
type Taxed struct {
	RatePPM  int64
	TaxCents int64
}

// Rate is a tax rate in parts per million for a country, or one of its regions, and a class.
type Rate struct {
	Country  string
	Region   string
	TaxClass string
	RatePPM  int64
}

// RateSource reads the shop's tax rates for a country.
type RateSource interface {
	TaxRates(ctx context.Context, country string) ([]Rate, error)
}

// Table is the built-in TaxProvider: the shop's own rate table. A region's rate wins over its
// country's; a class without a rate in the destination is not taxed.
type Table struct {
	Rates RateSource
}

// Tax taxes each item at its destination rate, rounding each item's tax separately (TaxOn),
// so the order's tax is exactly the sum of its items'.
func (t Table) Tax(ctx context.Context, req TaxRequest) ([]Taxed, error) {
	rates, err := t.Rates.TaxRates(ctx, req.Destination.Country)
	if err != nil {
		return nil, fmt.Errorf("tax rates for %s: %w", req.Destination.Country, err)
	}
	out := make([]Taxed, len(req.Items))
	for i, it := range req.Items {
		ppm := RateFor(rates, req.Destination, it.TaxClass)
		out[i] = Taxed{RatePPM: ppm, TaxCents: TaxOn(it.AmountCents, ppm, req.PricesIncludeTax)}
	}
	return out, nil
}

// RateFor picks the rate for class at dest: the region's, else the country's, else none.
func RateFor(rates []Rate, dest Destination, class string) int64 {
	region := strings.ToUpper(strings.TrimSpace(dest.Region))
	var ppm int64
	for _, r := range rates {
		if r.Country != dest.Country || r.TaxClass != class {
			continue
		}
		if region != "" && r.Region == region {
			return r.RatePPM
		}
		if r.Region == "" {
			ppm = r.RatePPM
		}
	}
	return ppm
}

// TaxOn is the tax on amount at ratePPM, rounded half up to a minor unit. When prices include
// tax, the tax is the part of amount that is tax: amount × rate / (1 + rate).
func TaxOn(amount, ratePPM int64, inclusive bool) int64 {
	if amount <= 0 || ratePPM <= 0 {
		return 0
	}
	if inclusive {
		return mulDivRound(amount, ratePPM, million+ratePPM)
	}
	return mulDivRound(amount, ratePPM, million)
}

const million = 1_000_000
