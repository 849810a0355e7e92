package ingest_test

import (
	"strings"
	"testing"
	"time"

	"shopflow/ingest"
)

func TestIngestDecodeOrder(t *testing.T) {
	t.Parallel()
	const line = `{"product_id": 7, "quantity": 2, "unit_price_cents": 0, "currency": "EUR"}`
	order := func(fields string) string {
		return `{"source": "legacy", "external_order_id": "A-1", "ordered_at": "2026-11-20T10:30:00+01:00", ` + fields + `}`
	}
	for _, tc := range []struct {
		name    string
		raw     string
		wantErr string // "" means the record decodes
	}{
		{name: "a full order decodes, with a zero price and an offset time", raw: order(`"lines": [` + line + `]`)},
		{name: "space around the object is fine", raw: " \t" + order(`"lines": [`+line+`]`) + "\r\n"},
		{name: "invalid UTF-8 anywhere refuses the record", raw: order(`"lines": [` + line + `], "x": "` + "\xff" + `"`), wantErr: "not valid UTF-8"},
		{name: "a record that is an array is not an order", raw: `[` + order(`"lines": []`) + `]`, wantErr: "record must be a JSON object, got an array"},
		{name: "null is not an order", raw: `null`, wantErr: "record must be a JSON object, got null"},
		{name: "a number is not an order", raw: `12`, wantErr: "record must be a JSON object, got a number"},
		{name: "malformed JSON says where", raw: `{"source": }`, wantErr: "malformed JSON at byte"},
		{name: "a record cut short is malformed", raw: `{"source": "legacy"`, wantErr: "ends early"},
		{name: "two objects in one record are refused", raw: order(`"lines": [`+line+`]`) + ` {}`, wantErr: "single JSON object"},
		{name: "an unknown field is refused", raw: order(`"lines": [` + line + `], "note": "x"`), wantErr: `unknown field "note"`},
		{name: "an unknown line field names the line", raw: order(`"lines": [` + line + `, {"product_id": 1, "quantity": 1, "unit_price_cents": 1, "currency": "EUR", "sku": "x"}]`), wantErr: `lines[1]: unknown field "sku"`},
		{name: "missing source", raw: `{"external_order_id": "A", "ordered_at": "2026-11-20T10:30:00Z", "lines": [` + line + `]}`, wantErr: "source is required"},
		{name: "missing external_order_id", raw: `{"source": "legacy", "ordered_at": "2026-11-20T10:30:00Z", "lines": [` + line + `]}`, wantErr: "external_order_id is required"},
		{name: "missing ordered_at", raw: `{"source": "legacy", "external_order_id": "A", "lines": [` + line + `]}`, wantErr: "ordered_at is required"},
		{name: "missing lines", raw: order(`"lines": null`), wantErr: "lines is required"},
		{name: "a missing price is not a free item", raw: order(`"lines": [{"product_id": 7, "quantity": 2, "currency": "EUR"}]`), wantErr: "lines[0].unit_price_cents is required"},
		{name: "missing product_id", raw: order(`"lines": [{"quantity": 2, "unit_price_cents": 1, "currency": "EUR"}]`), wantErr: "lines[0].product_id is required"},
		{name: "missing quantity", raw: order(`"lines": [{"product_id": 7, "unit_price_cents": 1, "currency": "EUR"}]`), wantErr: "lines[0].quantity is required"},
		{name: "missing currency", raw: order(`"lines": [{"product_id": 7, "quantity": 2, "unit_price_cents": 1}]`), wantErr: "lines[0].currency is required"},
		{name: "a date without a zone is not RFC 3339", raw: `{"source": "legacy", "external_order_id": "A", "ordered_at": "2026-11-20T10:30:00", "lines": [` + line + `]}`, wantErr: "ordered_at must be an RFC 3339 time"},
		{name: "a date in another format is refused", raw: `{"source": "legacy", "external_order_id": "A", "ordered_at": "20/11/2026", "lines": [` + line + `]}`, wantErr: `got "20/11/2026"`},
		{name: "a fractional quantity is not an integer", raw: order(`"lines": [{"product_id": 7, "quantity": 1.5, "unit_price_cents": 1, "currency": "EUR"}]`), wantErr: "lines[0].quantity must be an integer"},
		{name: "a quantity in quotes is not an integer", raw: order(`"lines": [{"product_id": 7, "quantity": "2", "unit_price_cents": 1, "currency": "EUR"}]`), wantErr: "lines[0].quantity must be an integer"},
		{name: "a price beyond int64 is refused", raw: order(`"lines": [{"product_id": 7, "quantity": 2, "unit_price_cents": 1e30, "currency": "EUR"}]`), wantErr: "lines[0].unit_price_cents must be an integer"},
		{name: "a line that is not an object", raw: order(`"lines": [7]`), wantErr: "lines[0] must be a JSON object, got a number"},
		{name: "lines that are not an array", raw: order(`"lines": {}`), wantErr: "lines must be an array"},
		{name: "a source that is not a string", raw: `{"source": 5, "external_order_id": "A", "ordered_at": "2026-11-20T10:30:00Z", "lines": []}`, wantErr: "source must be a string"},
		{name: "NUL in the order id is refused (Postgres text cannot hold it)", raw: `{"source": "legacy", "external_order_id": "A\u0000", "ordered_at": "2026-11-20T10:30:00Z", "lines": [` + line + `]}`, wantErr: "control characters"},
		{name: "a newline in the order id is refused", raw: `{"source": "legacy", "external_order_id": "A\n1", "ordered_at": "2026-11-20T10:30:00Z", "lines": [` + line + `]}`, wantErr: "control characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, err := ingest.DecodeOrder([]byte(tc.raw))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("DecodeOrder: %v", err)
				}
				want := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
				if o.Source != "legacy" || o.ExternalOrderID != "A-1" || !o.OrderedAt.Equal(want) || len(o.Lines) != 1 ||
					o.Lines[0] != (ingest.Line{ProductID: 7, Quantity: 2, UnitPriceCents: 0, Currency: "EUR"}) {
					t.Fatalf("decoded %+v", o)
				}
				if err := o.Validate(want); err != nil {
					t.Fatalf("decoded order does not validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("DecodeOrder(%q) = %v, want an error containing %q", tc.raw, err, tc.wantErr)
			}
		})
	}
}
