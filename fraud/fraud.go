// Package fraud screens orders before they are charged. A Screen scores an order; thresholds
// turn the score into a decision: allow (charge it), review (hold the stock and wait for an
// admin), or reject (cancel it fraud_suspected without charging). Rules is the built-in
// screen; None allows everything; a provider such as Stripe Radar implements Screen too.
package fraud

import (
	"context"
	"time"

	"shopflow/config"
)

// Decision is what a screen's score means for the order.
type Decision string

// Decisions a screen can reach.
const (
	Allow  Decision = "allow"
	Review Decision = "review"
	Reject Decision = "reject"
)

// Screen scores orders for fraud.
type Screen interface {
	// Name identifies the screen in logs and on the order's record (rules, none, radar...).
	Name() string
	// Lookback is how much of the buyer's order history Screen wants in Order.History; the
	// zero Lookback asks for none.
	Lookback() Lookback
	// Screen assesses one order. An error means it could not decide (a provider down); the
	// caller retries.
	Screen(ctx context.Context, o Order) (Assessment, error)
}

// Lookback says which of the buyer's recent orders to count: those within Window before the
// order, counted up to Limit+1 (enough to know the limit is passed, and no further, so the
// count costs the same however busy a customer, card or address is).
type Lookback struct {
	Window time.Duration
	Limit  int
}

// Order is what a screen sees of an order. Amounts are minor units of Currency.
type Order struct {
	ID         string
	CustomerID string
	TotalCents int64
	Currency   string
	// PaymentMethod is the card or payment-method token; empty when unknown.
	PaymentMethod string
	// ClientIP is the shopper's address at checkout; empty for orders taken before it was kept.
	ClientIP string
	// ShippingCountry is the ISO 3166-1 alpha-2 code of the shipping address.
	ShippingCountry string
	CreatedAt       time.Time
	History         History
}

// History is what the shop's own orders say about the buyer, within the screen's Lookback and
// excluding the order screened. Counts stop at Lookback.Limit+1.
type History struct {
	CustomerOrders int // the customer's orders in the window
	CardOrders     int // orders paid with the same payment method in the window
	IPOrders       int // orders from the same address in the window
	// PlacedBefore says the customer has an earlier order that was placed (paid).
	PlacedBefore bool
}

// Assessment is a screen's verdict on one order.
type Assessment struct {
	Score    int
	Decision Decision
	// Reasons are the rules that added to the score, in the order they were applied.
	Reasons []Reason
}

// Reason is one rule's part in a score.
type Reason struct {
	Rule   string `json:"rule"`
	Points int    `json:"points"`
	Detail string `json:"detail"`
}

// Thresholds turn a score into a decision: Review or more waits for an admin, Reject or more
// is canceled.
type Thresholds struct {
	Review, Reject int
}

// Decide is the decision for score.
func (t Thresholds) Decide(score int) Decision {
	switch {
	case score >= t.Reject:
		return Reject
	case score >= t.Review:
		return Review
	default:
		return Allow
	}
}

// FromConfig is the screen the configuration names: the built-in rules, or None.
func FromConfig(cfg config.PricingConfig) Screen {
	if cfg.FraudScreen == config.FraudNone {
		return None{}
	}
	return NewRules(cfg)
}

// None is the screen that allows every order, for shops that screen elsewhere.
type None struct{}

// Name is "none".
func (None) Name() string { return config.FraudNone }

// Lookback asks for no history.
func (None) Lookback() Lookback { return Lookback{} }

// Screen allows the order.
func (None) Screen(context.Context, Order) (Assessment, error) {
	return Assessment{Decision: Allow}, nil
}
