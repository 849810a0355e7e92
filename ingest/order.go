// Package ingest reads orders reported by other systems — one at a time through the API, or
// in CSV and NDJSON files of any size — validates them, and counts their lines as sales once.
package ingest

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

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

// Limits on ingested orders, as docs/INGEST.md and the OpenAPI document state them.
const (
	MaxLines = 1000
	// MaxSourceLength and MaxOrderIDLength count characters (runes), as the docs do.
	MaxSourceLength  = 64
	MaxOrderIDLength = 128
	// MaxQuantity covers wholesale lines; it fits the facts' integer column.
	MaxQuantity = 1_000_000
	// MaxUnitPriceCents is the catalog's own price cap, so any product can be reported sold at
	// its price, even in currencies whose minor unit is tiny (IDR, VND).
	MaxUnitPriceCents = 100_000_000_000
	// MaxLineTotalCents bounds quantity × unit_price_cents: both at their caps would make one
	// line 10^17, and fewer than a hundred such lines would overflow the hourly rollup's
	// revenue (a bigint) for their product and hour, failing every later sale counted into it.
	// At 10^14 (a trillion in major units) it takes about 92,000 maximal lines.
	MaxLineTotalCents = 100_000_000_000_000
	// MaxFutureSkew tolerates clocks a little ahead of ours; later order times are refused.
	MaxFutureSkew = 24 * time.Hour
)

var sourcePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// currencyCodes checks currencies against the assigned ISO 4217 codes, the list the catalog
// checks product prices against (validator's iso4217): a sale in another code could never
// match a product's currency, and its revenue would count nowhere. A validator only caches
// what it has parsed, and is safe for concurrent use.
var currencyCodes = validator.New()

// oldest is the earliest order time accepted: anything before is a typo, not history.
var oldest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Validate checks the order's own fields (not whether its products exist) and says what is
// wrong with the first bad field, naming it as the client sent it.
func (o Order) Validate(now time.Time) error {
	switch {
	case !sourcePattern.MatchString(o.Source):
		return fmt.Errorf("source must be 1 to %d lower-case letters, digits, '.', '_' or '-', got %s", MaxSourceLength, quoteValue(o.Source))
	case strings.TrimSpace(o.ExternalOrderID) == "" || utf8.RuneCountInString(o.ExternalOrderID) > MaxOrderIDLength:
		return fmt.Errorf("external_order_id must be 1 to %d characters", MaxOrderIDLength)
	}
	if err := validOrderID(o.ExternalOrderID); err != nil {
		return err
	}
	switch {
	case o.OrderedAt.IsZero():
		return fmt.Errorf("ordered_at is required (RFC 3339, e.g. 2026-11-20T10:30:00Z)")
	case o.OrderedAt.Before(oldest) || o.OrderedAt.After(now.Add(MaxFutureSkew)):
		return fmt.Errorf("ordered_at %s is out of range: from 2000-01-01 to a day ahead of now", o.OrderedAt.Format(time.RFC3339))
	case len(o.Lines) == 0:
		return fmt.Errorf("lines must hold at least one line")
	case len(o.Lines) > MaxLines:
		return fmt.Errorf("lines must hold at most %d lines", MaxLines)
	}
	for i, l := range o.Lines {
		if err := l.validate(); err != nil {
			return fmt.Errorf("lines[%d].%w", i, err)
		}
	}
	return nil
}

// validate checks one line; its errors start with the field's name.
func (l Line) validate() error {
	switch {
	case l.ProductID <= 0:
		return fmt.Errorf("product_id must be a positive integer")
	case l.Quantity <= 0 || l.Quantity > MaxQuantity:
		return fmt.Errorf("quantity must be between 1 and %d, got %d", MaxQuantity, l.Quantity)
	case l.UnitPriceCents < 0 || l.UnitPriceCents > MaxUnitPriceCents:
		return fmt.Errorf("unit_price_cents must be between 0 and %d, got %d", int64(MaxUnitPriceCents), l.UnitPriceCents)
	case l.UnitPriceCents > MaxLineTotalCents/int64(l.Quantity):
		return fmt.Errorf("unit_price_cents × quantity must be at most %d, got %d × %d", int64(MaxLineTotalCents), l.UnitPriceCents, l.Quantity)
	case currencyCodes.Var(l.Currency, "iso4217") != nil:
		return fmt.Errorf("currency must be an ISO 4217 code in use, like USD, got %s", quoteValue(l.Currency))
	}
	return nil
}

// validOrderID refuses what cannot be an order's id even within its length: control
// characters (Postgres text cannot hold NUL, and no order system means a tab in an id), and
// U+FFFD, which JSON decoding puts for a lone surrogate escape, so two ids mangled on the way
// would otherwise count as one order.
func validOrderID(id string) error {
	switch {
	case strings.ContainsFunc(id, unicode.IsControl):
		return errors.New("external_order_id must not contain control characters")
	case strings.ContainsRune(id, utf8.RuneError):
		return errors.New("external_order_id must not contain U+FFFD, the mark of a character lost in encoding")
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
