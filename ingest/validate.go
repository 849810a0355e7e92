package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DecodeOrder reads one order record (a JSON object, as the ingest API and NDJSON files carry
// it) strictly: the record must be valid UTF-8, every field known, present and of its JSON type,
// and ordered_at an RFC 3339 time with a zone. Errors name the field as the client sent it, with
// lines numbered from 0 as Validate numbers them. It does not run Validate.
//
// encoding/json would quietly turn invalid UTF-8 into U+FFFD, so an order id mangled on the way
// would count as another order; such records are refused instead.
func DecodeOrder(raw []byte) (Order, error) {
	if !utf8.Valid(raw) {
		return Order{}, errors.New("record is not valid UTF-8")
	}
	var w recordOrder
	if err := decodeRecordObject(raw, &w, "record", ""); err != nil {
		return Order{}, err
	}
	switch {
	case w.Source == nil:
		return Order{}, errors.New("source is required")
	case w.ExternalOrderID == nil:
		return Order{}, errors.New("external_order_id is required")
	case w.OrderedAt == nil || *w.OrderedAt == "":
		return Order{}, errors.New("ordered_at is required (RFC 3339, e.g. 2026-11-20T10:30:00Z)")
	case w.Lines == nil:
		return Order{}, errors.New("lines is required")
	}
	// Refused here as well as in Validate: a lone surrogate escape becomes U+FFFD only now.
	if err := validOrderID(*w.ExternalOrderID); err != nil {
		return Order{}, err
	}
	orderedAt, err := time.Parse(time.RFC3339, *w.OrderedAt)
	if err != nil {
		return Order{}, fmt.Errorf("ordered_at must be an RFC 3339 time with a zone, e.g. 2026-11-20T10:30:00Z, got %s", quoteValue(*w.OrderedAt))
	}
	if len(w.Lines) > MaxLines {
		// Refused before its lines are decoded: a megabyte of tiny lines is much work for nothing.
		return Order{}, fmt.Errorf("lines must hold at most %d lines", MaxLines)
	}
	o := Order{Source: *w.Source, ExternalOrderID: *w.ExternalOrderID, OrderedAt: orderedAt, Lines: make([]Line, len(w.Lines))}
	for i, rawLine := range w.Lines {
		at := fmt.Sprintf("lines[%d]", i)
		var wl recordLine
		if err := decodeRecordObject(rawLine, &wl, at, at+"."); err != nil {
			return Order{}, err
		}
		switch {
		case wl.ProductID == nil:
			return Order{}, fmt.Errorf("%s.product_id is required", at)
		case wl.Quantity == nil:
			return Order{}, fmt.Errorf("%s.quantity is required", at)
		case wl.UnitPriceCents == nil:
			return Order{}, fmt.Errorf("%s.unit_price_cents is required", at)
		case wl.Currency == nil:
			return Order{}, fmt.Errorf("%s.currency is required", at)
		}
		o.Lines[i] = Line{ProductID: *wl.ProductID, Quantity: *wl.Quantity, UnitPriceCents: *wl.UnitPriceCents, Currency: *wl.Currency}
	}
	return o, nil
}

// recordOrder is Order as sent, with pointers so a missing field is told from a zero one (a
// missing price is not a free item).
type recordOrder struct {
	Source          *string           `json:"source"`
	ExternalOrderID *string           `json:"external_order_id"`
	OrderedAt       *string           `json:"ordered_at"`
	Lines           []json.RawMessage `json:"lines"`
}

type recordLine struct {
	ProductID      *int64  `json:"product_id"`
	Quantity       *int    `json:"quantity"`
	UnitPriceCents *int64  `json:"unit_price_cents"`
	Currency       *string `json:"currency"`
}

// decodeRecordObject decodes raw, which must hold exactly one JSON object, into dst with unknown
// fields refused. what names raw in messages; prefix goes before its field names.
func decodeRecordObject(raw []byte, dst any, what, prefix string) error {
	trimmed := bytes.TrimSpace(raw)
	if kind := recordValueKind(trimmed); kind != "an object" && kind != "" {
		return fmt.Errorf("%s must be a JSON object, got %s", what, kind)
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return recordDecodeError(err, what, prefix)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s must be a single JSON object; something follows it", what)
	}
	return nil
}

func recordDecodeError(err error, what, prefix string) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("%s is malformed JSON at byte %d: %s", what, syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Errorf("%s must be a JSON object", what)
		}
		return fmt.Errorf("%s%s must be %s", prefix, typ.Field, recordGoKind(typ.Type))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%s is malformed JSON: it ends early", what)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			name = strings.TrimPrefix(err.Error(), "json: unknown field ")
		}
		return fmt.Errorf("%s: unknown field %s", what, quoteValue(name))
	}
	return fmt.Errorf("%s is malformed JSON: %w", what, err)
}

// recordValueKind names the kind of JSON value raw starts with, or "" when it is not JSON.
func recordValueKind(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	switch c := raw[0]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	}
	return ""
}

func recordGoKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer (within range)"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "an array"
	}
	return "an object"
}

// quoteValue quotes a client's value for a message, cut short so that a huge value is not
// echoed: a rejected line's reason stays small whatever the line holds.
func quoteValue(s string) string {
	const maxRunes = 40
	if utf8.RuneCountInString(s) <= maxRunes {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q...", string([]rune(s)[:maxRunes]))
}
