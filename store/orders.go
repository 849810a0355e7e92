package store

import (
	"slices"
	"time"
)

// This file holds the order as callers see it. order_create.go turns a checkout into a pending
// order, order_read.go loads and lists orders, and order_fulfil.go ships and delivers their
// lines; which status changes are legal is decided in orderstate.go alone.

// ValidOrderStatus reports whether status names an order status of the state machine.
func ValidOrderStatus(status string) bool {
	_, ok := orderTransitions[status]
	return ok
}

// MaxOrderLines is the most lines one order may have, whether sent as items or taken from a cart.
const MaxOrderLines = 100

// Order is an order as its customer (or an admin) sees it: lines priced as they were at
// checkout, the latest payment, and the timeline of everything that happened to it.
type Order struct {
	ID           string  `json:"id"`
	CustomerID   string  `json:"customer_id"`
	Status       string  `json:"status"`
	CancelReason *string `json:"cancel_reason"`
	Currency     string  `json:"currency"`
	// TotalCents is computed by the server at checkout (the quote's total, the amount charged);
	// never sent by clients. It is subtotal - discount + shipping - shipping discount, plus tax
	// unless prices include it.
	TotalCents            int64 `json:"total_cents"`
	SubtotalCents         int64 `json:"subtotal_cents"`
	DiscountCents         int64 `json:"discount_cents"`
	ShippingCents         int64 `json:"shipping_cents"`
	ShippingDiscountCents int64 `json:"shipping_discount_cents"`
	TaxCents              int64 `json:"tax_cents"`
	PricesIncludeTax      bool  `json:"prices_include_tax"`
	// ShippingMethod is the chosen method's code, nil when the shop charges no shipping.
	ShippingMethod *string `json:"shipping_method"`
	// PromotionID and CouponCode name the promotion the order got, if any.
	PromotionID     *int64          `json:"promotion_id"`
	CouponCode      *string         `json:"coupon_code"`
	Shipments       []OrderShipment `json:"shipments"`
	PaymentMethod   string          `json:"payment_method"`
	ShippingAddress ShippingAddress `json:"shipping_address"`
	// Payment is the order's latest payment, nil before the saga charged.
	Payment   *OrderPayment `json:"payment"`
	Lines     []OrderLine   `json:"lines"`
	Timeline  []OrderEvent  `json:"timeline"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// ShippingAddress is where an order is delivered.
type ShippingAddress struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code"`
	// Country is an ISO 3166-1 alpha-2 code, upper case.
	Country string `json:"country"`
}

// OrderLine is one product of an order, at the price it had at checkout.
type OrderLine struct {
	LineNo    int    `json:"line_no"`
	ProductID int64  `json:"product_id"`
	SellerID  string `json:"seller_id"`
	// Name is the product's name when the order was made: renaming a product later does not
	// rewrite order history.
	Name           string `json:"name"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	LineTotalCents int64  `json:"line_total_cents"`
	// DiscountCents is the line's share of the order's discount; TaxCents its tax at TaxRatePPM
	// (parts per million), on the line total less the discount.
	DiscountCents int64  `json:"discount_cents"`
	TaxCents      int64  `json:"tax_cents"`
	TaxRatePPM    int64  `json:"tax_rate_ppm"`
	Currency      string `json:"currency"`
	// Fulfilment is one of the Fulfilment constants.
	Fulfilment string `json:"fulfilment"`
}

// OrderShipment is one seller's goods in the order, with its shipping charge.
type OrderShipment struct {
	SellerID      string `json:"seller_id"`
	Method        string `json:"method"`
	MethodName    string `json:"method_name"`
	WeightGrams   int64  `json:"weight_grams"`
	ShippingCents int64  `json:"shipping_cents"`
	DiscountCents int64  `json:"discount_cents"`
	TaxCents      int64  `json:"tax_cents"`
	TaxRatePPM    int64  `json:"tax_rate_ppm"`
}

// OrderEvent is one entry of an order's timeline.
type OrderEvent struct {
	Status string    `json:"status"`
	Note   string    `json:"note"`
	At     time.Time `json:"at"`
}

// OrderPayment is a payment as the provider last reported it.
type OrderPayment struct {
	Provider    string `json:"provider"`
	IntentID    string `json:"intent_id"`
	Status      string `json:"status"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
}

// ForSeller is the order as one of its sellers sees it: only that seller's lines, a total of
// those lines, and nothing about the payment, which covers other sellers' goods too. The order
// has no lines at all for a seller with nothing in it.
func (o Order) ForSeller(sellerID string) Order {
	v := o
	v.Lines, v.Shipments = []OrderLine{}, []OrderShipment{}
	v.SubtotalCents, v.DiscountCents, v.TaxCents, v.ShippingCents, v.ShippingDiscountCents = 0, 0, 0, 0, 0
	for _, l := range o.Lines {
		if l.SellerID == sellerID {
			v.Lines = append(v.Lines, l)
			v.SubtotalCents += l.LineTotalCents
			v.DiscountCents += l.DiscountCents
			v.TaxCents += l.TaxCents
		}
	}
	for _, sh := range o.Shipments {
		if sh.SellerID == sellerID {
			v.Shipments = append(v.Shipments, sh)
			v.ShippingCents += sh.ShippingCents
			v.ShippingDiscountCents += sh.DiscountCents
			v.TaxCents += sh.TaxCents
		}
	}
	v.TotalCents = v.SubtotalCents - v.DiscountCents + v.ShippingCents - v.ShippingDiscountCents
	if !v.PricesIncludeTax {
		v.TotalCents += v.TaxCents
	}
	v.Payment = nil
	v.PaymentMethod = ""
	return v
}

// HasSeller reports whether the order has at least one line sold by sellerID.
func (o Order) HasSeller(sellerID string) bool {
	return sellerID != "" && slices.ContainsFunc(o.Lines, func(l OrderLine) bool { return l.SellerID == sellerID })
}
