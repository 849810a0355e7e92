package config

import (
	"regexp"
	"time"
)

// Fraud screens.
const (
	FraudRules = "rules"
	FraudNone  = "none"
)

// PricingConfig is how orders are priced and screened.
type PricingConfig struct {
	// PricesIncludeTax says catalog prices are entered with tax in them (the shopper pays the
	// price shown, and the tax is the part of it due at the destination); false adds tax on top.
	PricesIncludeTax bool `env:"SHOPFLOW_PRICES_INCLUDE_TAX" envDefault:"false"`

	// FraudScreen is the checkout's fraud screen: rules (the built-in scored rules) or none.
	FraudScreen string `env:"SHOPFLOW_FRAUD_SCREEN" envDefault:"rules"`
	// An order scoring FraudReviewScore or more waits for an admin's review; FraudRejectScore
	// or more is canceled fraud_suspected without charging.
	FraudReviewScore int `env:"SHOPFLOW_FRAUD_REVIEW_SCORE" envDefault:"50"`
	FraudRejectScore int `env:"SHOPFLOW_FRAUD_REJECT_SCORE" envDefault:"100"`
	// FraudReviewTimeout is how long an order in review keeps its stock before it is canceled.
	FraudReviewTimeout time.Duration `env:"SHOPFLOW_FRAUD_REVIEW_TIMEOUT" envDefault:"24h"`
	// FraudLargeOrderCents scores an order at or above it; 0 turns the rule off.
	FraudLargeOrderCents int64 `env:"SHOPFLOW_FRAUD_LARGE_ORDER_CENTS" envDefault:"500000"`
	// FraudFirstOrderCents scores a customer's first order at or above it; 0 turns the rule off.
	FraudFirstOrderCents int64 `env:"SHOPFLOW_FRAUD_FIRST_ORDER_CENTS" envDefault:"100000"`
	// FraudVelocityLimit scores an order when its customer, card or IP has placed more than
	// this many orders within FraudVelocityWindow; 0 turns the rule off.
	FraudVelocityLimit  int           `env:"SHOPFLOW_FRAUD_VELOCITY_LIMIT" envDefault:"10"`
	FraudVelocityWindow time.Duration `env:"SHOPFLOW_FRAUD_VELOCITY_WINDOW" envDefault:"1h"`
	// FraudBlockedCountries are shipping countries (ISO 3166-1 alpha-2) whose orders score high.
	FraudBlockedCountries []string `env:"SHOPFLOW_FRAUD_BLOCKED_COUNTRIES" envSeparator:","`

	// PromotionBatchSize is how many opted-in customers one step of a promotion's announcement
	// notifies; the notification rates above pace each channel.
	PromotionBatchSize int `env:"SHOPFLOW_PROMOTION_BATCH_SIZE" envDefault:"200"`
}

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

// validatePricing checks the fraud screen's settings.
func (c Config) validatePricing(p *problems) {
	switch c.FraudScreen {
	case FraudRules, FraudNone:
	default:
		p.add("SHOPFLOW_FRAUD_SCREEN", "must be rules or none, got %q", c.FraudScreen)
	}
	if c.FraudReviewScore < 1 {
		p.add("SHOPFLOW_FRAUD_REVIEW_SCORE", "must be at least 1, got %d", c.FraudReviewScore)
	}
	if c.FraudRejectScore < c.FraudReviewScore {
		p.add("SHOPFLOW_FRAUD_REJECT_SCORE", "must be at least SHOPFLOW_FRAUD_REVIEW_SCORE (%d), got %d", c.FraudReviewScore, c.FraudRejectScore)
	}
	if c.FraudReviewTimeout < time.Minute || c.FraudReviewTimeout > 30*24*time.Hour {
		p.add("SHOPFLOW_FRAUD_REVIEW_TIMEOUT", "must be between 1m and 720h, got %s", c.FraudReviewTimeout)
	}
	if c.FraudLargeOrderCents < 0 {
		p.add("SHOPFLOW_FRAUD_LARGE_ORDER_CENTS", "must not be negative, got %d", c.FraudLargeOrderCents)
	}
	if c.FraudFirstOrderCents < 0 {
		p.add("SHOPFLOW_FRAUD_FIRST_ORDER_CENTS", "must not be negative, got %d", c.FraudFirstOrderCents)
	}
	if c.FraudVelocityLimit < 0 {
		p.add("SHOPFLOW_FRAUD_VELOCITY_LIMIT", "must not be negative, got %d", c.FraudVelocityLimit)
	}
	if c.FraudVelocityWindow < time.Minute || c.FraudVelocityWindow > 30*24*time.Hour {
		p.add("SHOPFLOW_FRAUD_VELOCITY_WINDOW", "must be between 1m and 720h, got %s", c.FraudVelocityWindow)
	}
	for _, cc := range c.FraudBlockedCountries {
		if !countryCode.MatchString(cc) {
			p.add("SHOPFLOW_FRAUD_BLOCKED_COUNTRIES", "must be comma-separated ISO 3166-1 alpha-2 codes in upper case, got %q", cc)
		}
	}
	if c.PromotionBatchSize < 1 || c.PromotionBatchSize > 10000 {
		p.add("SHOPFLOW_PROMOTION_BATCH_SIZE", "must be between 1 and 10000, got %d", c.PromotionBatchSize)
	}
}
