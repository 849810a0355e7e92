// Package pricing prices an order: its lines, a shipment per seller, the one promotion it gets,
// and the tax on each line and shipment. The rules, with their rounding, are in
// docs/PRICING.md; the quote endpoint and the checkout both call Quoter.Quote, so a shopper is
// charged exactly what a fresh quote says.
package pricing

import (
	"context"
	"time"
)

// Request is what to price.
type Request struct {
	CustomerID  string
	Currency    string
	Lines       []Line
	Destination Destination
	// ShippingMethod is the method's code; empty picks the cheapest the destination offers.
	ShippingMethod string
	// Coupon is a promotion code typed by the shopper; empty lets the best automatic promotion apply.
	Coupon string
	Now    time.Time
}

// Line is one product of the order at its catalog price.
type Line struct {
	ProductID      int64
	Name           string
	SellerID       string
	CategoryID     int64
	Quantity       int64
	UnitPriceCents int64
	WeightGrams    int64
	TaxClass       string
}

// Destination is where the order ships: an ISO 3166-1 alpha-2 country and, optionally, a region.
type Destination struct {
	Country string
	Region  string
}

// Method is a way of shipping offered in the destination's zone.
type Method struct {
	Code string
	Name string
	// Kind is KindFlat or KindWeight.
	Kind          string
	PriceCents    int64
	PerKgCents    int64
	FreeOverCents *int64
}

// Shipping method kinds.
const (
	KindFlat   = "flat"
	KindWeight = "weight"
)

// Promotion kinds and scopes.
const (
	PromoPercent      = "percent"
	PromoFixed        = "fixed"
	PromoFreeShipping = "free_shipping"

	ScopeOrder      = "order"
	ScopeProducts   = "products"
	ScopeCategories = "categories"
)

// Promotion is a coupon or an automatic promotion, as the source read it for this customer.
type Promotion struct {
	ID          int64
	Name        string
	Code        string // empty for an automatic promotion
	Kind        string
	PercentBP   int64 // basis points, for PromoPercent
	AmountCents int64 // for PromoFixed
	Currency    string
	AppliesTo   string
	ProductIDs  []int64
	// CategoryIDs are the promotion's categories and all their descendants.
	CategoryIDs      []int64
	MinSubtotalCents int64
	StartsAt         time.Time
	EndsAt           *time.Time
	Active           bool
	UsageLimit       *int64
	PerCustomerLimit *int64
	Uses             int64
	// CustomerUses counts the customer's orders holding or having spent a use.
	CustomerUses int64
}

// Source reads what a quote depends on.
type Source interface {
	// Shipping returns the active methods of the zone holding country, priced in currency;
	// zoned is false when no zone holds the country, and anyZones false when the shop has
	// set up no shipping at all (its orders then carry no shipping charge).
	Shipping(ctx context.Context, country, currency string) (methods []Method, zoned, anyZones bool, err error)
	// Promotions returns the promotion whose code is coupon (case-insensitively), or with an
	// empty coupon the automatic promotions running at now, each with the customer's uses.
	Promotions(ctx context.Context, customerID, coupon string, now time.Time) ([]Promotion, error)
}

// Quote is a priced order. Amounts are in minor units of Currency.
type Quote struct {
	Currency         string        `json:"currency"`
	PricesIncludeTax bool          `json:"prices_include_tax"`
	Lines            []QuotedLine  `json:"lines"`
	Shipments        []Shipment    `json:"shipments"`
	ShippingOptions  []Option      `json:"shipping_options"`
	ShippingMethod   string        `json:"shipping_method,omitempty"`
	Promotion        *AppliedPromo `json:"promotion"`
	SubtotalCents    int64         `json:"subtotal_cents"`
	DiscountCents    int64         `json:"discount_cents"`
	ShippingCents    int64         `json:"shipping_cents"`
	// ShippingDiscountCents is what a free-shipping promotion takes off ShippingCents.
	ShippingDiscountCents int64 `json:"shipping_discount_cents"`
	TaxCents              int64 `json:"tax_cents"`
	TotalCents            int64 `json:"total_cents"`
}

// QuotedLine is a line with its share of the discount and its tax.
type QuotedLine struct {
	ProductID      int64  `json:"product_id"`
	Name           string `json:"name"`
	SellerID       string `json:"seller_id"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	SubtotalCents  int64  `json:"subtotal_cents"`
	DiscountCents  int64  `json:"discount_cents"`
	TaxRatePPM     int64  `json:"tax_rate_ppm"`
	TaxCents       int64  `json:"tax_cents"`
	TotalCents     int64  `json:"total_cents"`
	// TaxClass picks the line's rate.
	TaxClass string `json:"tax_class"`
}

// Shipment is one seller's goods of the order, shipped by the chosen method.
type Shipment struct {
	SellerID      string `json:"seller_id"`
	MethodCode    string `json:"method"`
	MethodName    string `json:"method_name"`
	WeightGrams   int64  `json:"weight_grams"`
	GoodsCents    int64  `json:"goods_cents"`
	ShippingCents int64  `json:"shipping_cents"`
	DiscountCents int64  `json:"discount_cents"`
	TaxRatePPM    int64  `json:"tax_rate_ppm"`
	TaxCents      int64  `json:"tax_cents"`
}

// Option is a shipping method the destination offers, with what it would cost this order.
type Option struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	ShippingCents int64  `json:"shipping_cents"`
}

// AppliedPromo is the promotion a quote applied.
type AppliedPromo struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Code string `json:"code,omitempty"`
	Kind string `json:"kind"`
}
