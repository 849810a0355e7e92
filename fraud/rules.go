package fraud

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"shopflow/config"
)

// Points each rule adds to an order's score. With the default thresholds (review at 50,
// reject at 100) a blocked country alone rejects; any one other rule alone passes (40 at
// most); any two of them send the order to review (50 to 75): a large first order, a busy card
// and a busy address, a large order from a busy customer; 100 or more is rejected: a large
// first order from a busy customer, or a large order whose customer, card and address are all
// busy.
const (
	// PointsBlockedCountry: the order ships to a country on the block list.
	PointsBlockedCountry = 100
	// PointsLargeOrder: the order's total is at or above the large-order amount.
	PointsLargeOrder = 40
	// PointsFirstOrder: the customer has no earlier placed order, and this one is at or above
	// the first-order amount.
	PointsFirstOrder = 35
	// PointsVelocity: more than the velocity limit of orders within the window, counted apart
	// for the customer, for the card and for the client's IP address (up to three times).
	PointsVelocity = 25
)

// Rule names, as reasons carry them.
const (
	RuleBlockedCountry   = "blocked_country"
	RuleLargeOrder       = "large_order"
	RuleFirstOrder       = "first_order"
	RuleCustomerVelocity = "customer_velocity"
	RuleCardVelocity     = "card_velocity"
	RuleIPVelocity       = "ip_velocity"
)

// Rules is the built-in screen: the rules above, each from the shop's own orders, scored in
// one pass over facts read with one query. A rule whose setting is 0 is off.
type Rules struct {
	Thresholds
	// LargeOrderCents and FirstOrderCents are minor units, compared with the order's total
	// whatever its currency.
	LargeOrderCents  int64
	FirstOrderCents  int64
	VelocityLimit    int
	VelocityWindow   time.Duration
	BlockedCountries []string
}

// NewRules is the rules screen with the configured thresholds and settings.
func NewRules(cfg config.PricingConfig) *Rules {
	return &Rules{
		Thresholds:       Thresholds{Review: cfg.FraudReviewScore, Reject: cfg.FraudRejectScore},
		LargeOrderCents:  cfg.FraudLargeOrderCents,
		FirstOrderCents:  cfg.FraudFirstOrderCents,
		VelocityLimit:    cfg.FraudVelocityLimit,
		VelocityWindow:   cfg.FraudVelocityWindow,
		BlockedCountries: cfg.FraudBlockedCountries,
	}
}

// Name is "rules".
func (r *Rules) Name() string { return config.FraudRules }

// Lookback asks for the velocity window's counts; none when the velocity rules are off.
func (r *Rules) Lookback() Lookback {
	if r.VelocityLimit <= 0 {
		return Lookback{}
	}
	return Lookback{Window: r.VelocityWindow, Limit: r.VelocityLimit}
}

// Screen scores the order by the rules.
func (r *Rules) Screen(_ context.Context, o Order) (Assessment, error) {
	var reasons []Reason
	add := func(rule string, points int, format string, args ...any) {
		reasons = append(reasons, Reason{Rule: rule, Points: points, Detail: fmt.Sprintf(format, args...)})
	}
	if c := strings.ToUpper(o.ShippingCountry); c != "" && slices.Contains(r.BlockedCountries, c) {
		add(RuleBlockedCountry, PointsBlockedCountry, "ships to %s, a blocked country", c)
	}
	if r.LargeOrderCents > 0 && o.TotalCents >= r.LargeOrderCents {
		add(RuleLargeOrder, PointsLargeOrder, "total %d is at or above %d", o.TotalCents, r.LargeOrderCents)
	}
	if r.FirstOrderCents > 0 && !o.History.PlacedBefore && o.TotalCents >= r.FirstOrderCents {
		add(RuleFirstOrder, PointsFirstOrder, "first order, total %d is at or above %d", o.TotalCents, r.FirstOrderCents)
	}
	if r.VelocityLimit > 0 {
		for _, v := range []struct {
			rule, whose string
			n           int
		}{
			{RuleCustomerVelocity, "the customer", o.History.CustomerOrders},
			{RuleCardVelocity, "the card", o.History.CardOrders},
			{RuleIPVelocity, "the address", o.History.IPOrders},
		} {
			if v.n > r.VelocityLimit {
				add(v.rule, PointsVelocity, "%s has more than %d other orders within %s", v.whose, r.VelocityLimit, r.VelocityWindow)
			}
		}
	}
	score := 0
	for _, x := range reasons {
		score += x.Points
	}
	return Assessment{Score: score, Decision: r.Decide(score), Reasons: reasons}, nil
}
