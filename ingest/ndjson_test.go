package ingest

import (
	"strings"
	"testing"
	"time"
)

func TestNDJSONLineGood(t *testing.T) {
	t.Parallel()
	lines, err := parseNDJSONLine([]byte(` {"source":"legacy","external_order_id":"A-1","ordered_at":"2026-11-20T11:30:00+01:00",`+
		`"lines":[{"product_id":7,"quantity":2,"unit_price_cents":500,"currency":"USD"},{"product_id":8,"quantity":1,"unit_price_cents":0,"currency":"USD"}]} `), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].LineNo != 1 || lines[1].LineNo != 2 || lines[1].ProductID != 8 || lines[0].Quantity != 2 {
		t.Fatalf("sale lines: %+v", lines)
	}
	if want := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC); !lines[0].OrderedAt.Equal(want) || lines[0].OrderedAt.Location() != time.UTC {
		t.Fatalf("ordered_at %v, want %v in UTC", lines[0].OrderedAt, want)
	}
}

// TestNDJSONLinesBad: every kind of bad line is refused, naming the field as the client sent it.
func TestNDJSONLinesBad(t *testing.T) {
	t.Parallel()
	const line = `"product_id":7,"quantity":2,"unit_price_cents":500,"currency":"USD"`
	order := func(fields string) string {
		return `{"source":"legacy","external_order_id":"A-1",` + fields + `}`
	}
	for _, c := range []struct {
		name, line, want string
	}{
		{"missing source", `{"external_order_id":"A-1","ordered_at":"2026-11-20T10:30:00Z","lines":[{` + line + `}]}`, "source is required"},
		{"missing lines", order(`"ordered_at":"2026-11-20T10:30:00Z"`), "lines is required"},
		{"missing date", order(`"lines":[{` + line + `}]`), "ordered_at is required"},
		{"bad date", order(`"ordered_at":"20/11/2026","lines":[{` + line + `}]`), "ordered_at must be an RFC 3339 time"},
		{"date as a number", order(`"ordered_at":1763634600,"lines":[{` + line + `}]`), "ordered_at must be a string"},
		{"no lines", order(`"ordered_at":"2026-11-20T10:30:00Z","lines":[]`), "lines must hold at least one line"},
		{"bad source", `{"source":"Legacy!","external_order_id":"A-1","ordered_at":"2026-11-20T10:30:00Z","lines":[{` + line + `}]}`, "source must be"},
		{"missing price", order(`"ordered_at":"2026-11-20T10:30:00Z","lines":[{"product_id":7,"quantity":1,"currency":"USD"}]`), "lines[0].unit_price_cents is required"},
		{"date too old", order(`"ordered_at":"1999-01-01T00:00:00Z","lines":[{` + line + `}]`), "is out of range"},
		{"negative quantity", order(`"ordered_at":"2026-11-20T10:30:00Z","lines":[{"product_id":7,"quantity":-1,"unit_price_cents":5,"currency":"USD"}]`),
			"lines[0].quantity must be between 1 and 1000000, got -1"},
		{"second line bad", order(`"ordered_at":"2026-11-20T10:30:00Z","lines":[{` + line + `},{"product_id":0,"quantity":1,"unit_price_cents":5,"currency":"USD"}]`),
			"lines[1].product_id must be a positive integer"},
		{"quantity as a string", order(`"ordered_at":"2026-11-20T10:30:00Z","lines":[{"product_id":7,"quantity":"2","unit_price_cents":5,"currency":"USD"}]`),
			"lines[0].quantity must be an integer"},
		{"unknown field", order(`"ordered_at":"2026-11-20T10:30:00Z","note":"x","lines":[{` + line + `}]`), `unknown field "note"`},
		{"malformed", `{"source":"legacy",`, "malformed JSON"},
		{"syntax error", `{"source" "legacy"}`, "malformed JSON at byte"},
		{"two objects", order(`"ordered_at":"2026-11-20T10:30:00Z","lines":[{`+line+`}]`) + `{}`, "must be a single JSON object; something follows it"},
		{"an array", `[1,2]`, "must be a JSON object, got an array"},
		{"null", `null`, "must be a JSON object, got null"},
		{"broken UTF-8", `{"source":"legacy","external_order_id":"A-` + "\xff\xfe" + `","ordered_at":"2026-11-20T10:30:00Z","lines":[{` + line + `}]}`,
			"not valid UTF-8"},
		{"NUL in order id", `{"source":"legacy","external_order_id":"A\u00001","ordered_at":"2026-11-20T10:30:00Z","lines":[{` + line + `}]}`,
			"external_order_id must not contain control characters"},
	} {
		_, err := parseNDJSONLine([]byte(c.line), testNow)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
