// Package ingest reads orders reported by other systems — one at a time through the API, or
// in CSV and NDJSON files of any size — validates them, and counts their lines as sales once.
package ingest

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"shopflow/store"
)

// Order is one order as another system reports it (the API's and NDJSON's shape).
type Order struct {
	Source          string    `json:"source"`
	ExternalOrderID string    `json:"external_order_id"`
	OrderedAt       time.Time `json:"ordered_at"`
	Lines           []Line    `json:"lines"`
}

// Line is one line of an ingested order. Line numbers are positions in Lines, from 1.
type Line struct {
	ProductID      int64  `json:"product_id"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	Currency       string `json:"currency"`
}

// Limits on ingested orders.
const (
	MaxLines = 1000
	// MaxQuantity and MaxUnitPriceCents bound one line at 10^14 minor units, so the hourly
	// rollup's revenue (a bigint) holds at least 90,000 maximal lines per product and hour:
	// no file, however wrong, can overflow it.
	MaxQuantity       = 100_000
	MaxUnitPriceCents = 1_000_000_000
	// MaxFutureSkew tolerates clocks a little ahead of ours; later order times are refused.
	MaxFutureSkew = 24 * time.Hour
)

var (
	sourcePattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// oldest is the earliest order time accepted: anything before is a typo, not history.
var oldest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Validate checks the order's own fields (not whether its products exist) and says what is
// wrong with the first bad field, naming it as the client sent it.
func (o Order) Validate(now time.Time) error {
	switch {
	case !sourcePattern.MatchString(o.Source):
		return fmt.Errorf("source must be 1 to 64 lower-case letters, digits, '.', '_' or '-', got %q", o.Source)
	case strings.TrimSpace(o.ExternalOrderID) == "" || len(o.ExternalOrderID) > 128:
		return fmt.Errorf("external_order_id must be 1 to 128 characters")
	case o.OrderedAt.IsZero():
		return fmt.Errorf("ordered_at is required (RFC 3339, e.g. 2026-11-20T10:30:00Z)")
	case o.OrderedAt.Before(oldest) || o.OrderedAt.After(now.Add(MaxFutureSkew)):
		return fmt.Errorf("ordered_at %s is out of range", o.OrderedAt.Format(time.RFC3339))
	case len(o.Lines) == 0:
		return fmt.Errorf("lines must hold at least one line")
	case len(o.Lines) > MaxLines:
		return fmt.Errorf("lines must hold at most %d lines", MaxLines)
	}
	for i, l := range o.Lines {
		switch {
		case l.ProductID <= 0:
			return fmt.Errorf("lines[%d].product_id must be a positive integer", i)
		case l.Quantity <= 0 || l.Quantity > MaxQuantity:
			return fmt.Errorf("lines[%d].quantity must be between 1 and %d, got %d", i, MaxQuantity, l.Quantity)
		case l.UnitPriceCents < 0 || l.UnitPriceCents > MaxUnitPriceCents:
			return fmt.Errorf("lines[%d].unit_price_cents must be between 0 and %d, got %d", i, int64(MaxUnitPriceCents), l.UnitPriceCents)
		case !currencyPattern.MatchString(l.Currency):
			return fmt.Errorf("lines[%d].currency must be an ISO 4217 code like USD, got %q", i, l.Currency)
		}
	}
	return nil
}

// SaleLines is the order as sale lines, numbered from 1.
func (o Order) SaleLines() []store.SaleLine {
	out := make([]store.SaleLine, len(o.Lines))
	for i, l := range o.Lines {
		out[i] = store.SaleLine{Source: o.Source, ExternalOrderID: o.ExternalOrderID, LineNo: i + 1, OrderedAt: o.OrderedAt.UTC(),
			ProductID: l.ProductID, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents, Currency: l.Currency}
	}
	return out
}
