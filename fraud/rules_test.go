package fraud

import (
	"context"
	"slices"
	"testing"
	"time"

	"shopflow/config"
)

func testRules() *Rules {
	return NewRules(config.PricingConfig{
		FraudReviewScore: 50, FraudRejectScore: 100,
		FraudLargeOrderCents: 500000, FraudFirstOrderCents: 100000,
		FraudVelocityLimit: 10, FraudVelocityWindow: time.Hour,
		FraudBlockedCountries: []string{"KP", "XX"},
	})
}

// returning is an ordinary order from a customer who has bought before.
func returning(total int64) Order {
	return Order{ID: "o1", CustomerID: "c1", TotalCents: total, Currency: "USD", PaymentMethod: "pm_card_visa",
		ClientIP: "203.0.113.7", ShippingCountry: "DE", History: History{PlacedBefore: true}}
}

// Each rule on its own, and the combinations the doc comment promises, with the default
// thresholds.
func TestRulesScores(t *testing.T) {
	busy := func(o Order, customer, card, ip int) Order {
		o.History.CustomerOrders, o.History.CardOrders, o.History.IPOrders = customer, card, ip
		return o
	}
	first := func(o Order) Order { o.History.PlacedBefore = false; return o }
	ships := func(o Order, country string) Order { o.ShippingCountry = country; return o }
	for _, tc := range []struct {
		name     string
		order    Order
		rules    []string
		decision Decision
	}{
		{"ordinary", returning(5000), nil, Allow},
		{"blocked country", ships(returning(5000), "KP"), []string{RuleBlockedCountry}, Reject},
		{"blocked country in lower case", ships(returning(5000), "xx"), []string{RuleBlockedCountry}, Reject},
		{"large order", returning(500000), []string{RuleLargeOrder}, Allow},
		{"just under large", returning(499999), nil, Allow},
		{"first order above the amount", first(returning(100000)), []string{RuleFirstOrder}, Allow},
		{"small first order", first(returning(99999)), nil, Allow},
		{"large first order", first(returning(600000)), []string{RuleLargeOrder, RuleFirstOrder}, Review},
		{"busy customer", busy(returning(5000), 11, 0, 0), []string{RuleCustomerVelocity}, Allow},
		{"at the velocity limit", busy(returning(5000), 10, 10, 10), nil, Allow},
		{"busy card and address", busy(returning(5000), 0, 11, 11), []string{RuleCardVelocity, RuleIPVelocity}, Review},
		{"busy everything", busy(returning(5000), 11, 11, 11), []string{RuleCustomerVelocity, RuleCardVelocity, RuleIPVelocity}, Review},
		{"large order from a busy customer", busy(returning(500000), 11, 0, 0), []string{RuleLargeOrder, RuleCustomerVelocity}, Review},
		{"large first order from a busy customer", busy(first(returning(500000)), 11, 0, 0),
			[]string{RuleLargeOrder, RuleFirstOrder, RuleCustomerVelocity}, Reject},
		{"large order, everything busy", busy(returning(500000), 11, 11, 11),
			[]string{RuleLargeOrder, RuleCustomerVelocity, RuleCardVelocity, RuleIPVelocity}, Reject},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as, err := testRules().Screen(context.Background(), tc.order)
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			sum := 0
			for _, r := range as.Reasons {
				rules = append(rules, r.Rule)
				sum += r.Points
				if r.Detail == "" {
					t.Errorf("rule %s without a detail", r.Rule)
				}
			}
			if !slices.Equal(rules, tc.rules) || as.Decision != tc.decision || as.Score != sum {
				t.Errorf("got rules %v score %d %s, want rules %v %s", rules, as.Score, as.Decision, tc.rules, tc.decision)
			}
		})
	}
}

// A rule whose setting is 0 is off; velocity off asks for no history.
func TestRulesOff(t *testing.T) {
	r := NewRules(config.PricingConfig{FraudReviewScore: 50, FraudRejectScore: 100, FraudVelocityWindow: time.Hour})
	o := returning(100000000)
	o.History = History{CustomerOrders: 1000, CardOrders: 1000, IPOrders: 1000}
	as, err := r.Screen(context.Background(), o)
	if err != nil || as.Score != 0 || as.Decision != Allow || len(as.Reasons) != 0 {
		t.Errorf("all rules off: %+v %v", as, err)
	}
	if lb := r.Lookback(); lb != (Lookback{}) {
		t.Errorf("lookback with velocity off: %+v", lb)
	}
	if lb := testRules().Lookback(); lb != (Lookback{Window: time.Hour, Limit: 10}) {
		t.Errorf("lookback: %+v", lb)
	}
}

func TestThresholds(t *testing.T) {
	th := Thresholds{Review: 50, Reject: 100}
	for score, want := range map[int]Decision{0: Allow, 49: Allow, 50: Review, 99: Review, 100: Reject, 250: Reject} {
		if got := th.Decide(score); got != want {
			t.Errorf("score %d: %s, want %s", score, got, want)
		}
	}
	// Thresholds from config: a higher review threshold lets two rules through.
	r := NewRules(config.PricingConfig{FraudReviewScore: 80, FraudRejectScore: 200, FraudLargeOrderCents: 1, FraudFirstOrderCents: 1})
	o := returning(10)
	o.History.PlacedBefore = false
	if as, _ := r.Screen(context.Background(), o); as.Score != PointsLargeOrder+PointsFirstOrder || as.Decision != Allow {
		t.Errorf("review at 80: %+v", as)
	}
}

func TestFromConfig(t *testing.T) {
	if s := FromConfig(config.PricingConfig{FraudScreen: config.FraudNone}); s.Name() != "none" {
		t.Errorf("none: %T", s)
	}
	if s := FromConfig(config.PricingConfig{FraudScreen: config.FraudRules}); s.Name() != "rules" {
		t.Errorf("rules: %T", s)
	}
	as, err := None{}.Screen(context.Background(), Order{ShippingCountry: "KP", TotalCents: 1 << 40})
	if err != nil || as.Decision != Allow || (None{}).Lookback() != (Lookback{}) {
		t.Errorf("None: %+v %v", as, err)
	}
}
