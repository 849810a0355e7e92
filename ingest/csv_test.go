package ingest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"shopflow/ingest/ingesttest"
	"shopflow/store"
)

// testNow is the clock parsers check order times against in tests.
var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func mustHeader(t *testing.T, line string) csvHeader {
	t.Helper()
	h, err := parseCSVHeader([]byte(line))
	if err != nil {
		t.Fatalf("header %q: %v", line, err)
	}
	return h
}

const header = "source,external_order_id,line_no,ordered_at,product_id,quantity,unit_price_cents,currency"

func TestCSVRowsGood(t *testing.T) {
	t.Parallel()
	h := mustHeader(t, header)
	at := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		row  string
		want store.SaleLine
	}{
		{"plain", "legacy,A-1,2,2026-11-20T10:30:00Z,7,3,1999,USD",
			store.SaleLine{Source: "legacy", ExternalOrderID: "A-1", LineNo: 2, OrderedAt: at, ProductID: 7, Quantity: 3, UnitPriceCents: 1999, Currency: "USD"}},
		{"quoted fields with a comma and a doubled quote", `legacy,"A,1 ""big""",1,"2026-11-20T11:30:00+01:00",7,1,0,EUR`,
			store.SaleLine{Source: "legacy", ExternalOrderID: `A,1 "big"`, LineNo: 1, OrderedAt: at, ProductID: 7, Quantity: 1, UnitPriceCents: 0, Currency: "EUR"}},
		{"spaces around unquoted fields", " legacy , A-1 , 1 , 2026-11-20T10:30:00Z , 7 , 1 , 5 , USD ",
			store.SaleLine{Source: "legacy", ExternalOrderID: "A-1", LineNo: 1, OrderedAt: at, ProductID: 7, Quantity: 1, UnitPriceCents: 5, Currency: "USD"}},
		{"fractional seconds", "legacy,A-1,1,2026-11-20T10:30:00.000Z,7,1,5,USD",
			store.SaleLine{Source: "legacy", ExternalOrderID: "A-1", LineNo: 1, OrderedAt: at, ProductID: 7, Quantity: 1, UnitPriceCents: 5, Currency: "USD"}},
	} {
		got, err := h.parseRow([]byte(c.row), testNow)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !got.OrderedAt.Equal(c.want.OrderedAt) {
			t.Errorf("%s: ordered_at %v, want %v", c.name, got.OrderedAt, c.want.OrderedAt)
		}
		got.OrderedAt = c.want.OrderedAt
		if got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

// TestCSVRowsBad: every kind of bad row is refused, saying which field is wrong and why.
func TestCSVRowsBad(t *testing.T) {
	t.Parallel()
	h := mustHeader(t, header)
	for _, c := range []struct {
		name, row, want string
	}{
		{"missing field", "legacy,A-1,1,2026-11-20T10:30:00Z,7,1,USD", "the row has 7 fields, the header 8"},
		{"extra field", "legacy,A-1,1,2026-11-20T10:30:00Z,7,1,5,USD,x", "the row has 9 fields, the header 8"},
		{"empty source", ",A-1,1,2026-11-20T10:30:00Z,7,1,5,USD", "source must be"},
		{"bad source", "Legacy!,A-1,1,2026-11-20T10:30:00Z,7,1,5,USD", "source must be"},
		{"empty order id", "legacy,,1,2026-11-20T10:30:00Z,7,1,5,USD", "external_order_id must be 1 to 128 characters"},
		{"order id too long", "legacy," + strings.Repeat("x", 129) + ",1,2026-11-20T10:30:00Z,7,1,5,USD", "external_order_id must be 1 to 128"},
		{"NUL in order id", "legacy,A\x001,1,2026-11-20T10:30:00Z,7,1,5,USD", "external_order_id must not contain control characters"},
		{"empty line_no", "legacy,A-1,,2026-11-20T10:30:00Z,7,1,5,USD", "line_no is required"},
		{"line_no zero", "legacy,A-1,0,2026-11-20T10:30:00Z,7,1,5,USD", "line_no must be between 1 and 1000, got 0"},
		{"line_no not a number", "legacy,A-1,one,2026-11-20T10:30:00Z,7,1,5,USD", `line_no must be an integer, got "one"`},
		{"missing date", "legacy,A-1,1,,7,1,5,USD", "ordered_at is required"},
		{"date without time", "legacy,A-1,1,2026-11-20,7,1,5,USD", `ordered_at must be an RFC 3339 time such as 2026-11-20T10:30:00Z, got "2026-11-20"`},
		{"impossible date", "legacy,A-1,1,2026-13-01T00:00:00Z,7,1,5,USD", "ordered_at must be an RFC 3339 time"},
		{"date too old", "legacy,A-1,1,1999-12-31T00:00:00Z,7,1,5,USD", "ordered_at 1999-12-31T00:00:00Z is out of range"},
		{"date in the future", "legacy,A-1,1,2026-11-23T00:00:00Z,7,1,5,USD", "is out of range"},
		{"missing product", "legacy,A-1,1,2026-11-20T10:30:00Z,,1,5,USD", "product_id is required"},
		{"product zero", "legacy,A-1,1,2026-11-20T10:30:00Z,0,1,5,USD", "product_id must be a positive integer"},
		{"negative quantity", "legacy,A-1,1,2026-11-20T10:30:00Z,7,-2,5,USD", "quantity must be between 1 and 1000000, got -2"},
		{"zero quantity", "legacy,A-1,1,2026-11-20T10:30:00Z,7,0,5,USD", "quantity must be between 1 and 1000000, got 0"},
		{"fractional quantity", "legacy,A-1,1,2026-11-20T10:30:00Z,7,1.5,5,USD", `quantity must be an integer, got "1.5"`},
		{"huge quantity", "legacy,A-1,1,2026-11-20T10:30:00Z,7,99999999999,5,USD", "quantity is out of range"},
		{"negative price", "legacy,A-1,1,2026-11-20T10:30:00Z,7,1,-5,USD", "unit_price_cents must be between 0 and"},
		{"price as decimal", "legacy,A-1,1,2026-11-20T10:30:00Z,7,1,19.99,USD", `unit_price_cents must be an integer, got "19.99"`},
		{"lower-case currency", "legacy,A-1,1,2026-11-20T10:30:00Z,7,1,5,usd", `currency must be an ISO 4217 code in use, like USD, got "usd"`},
		{"missing currency", "legacy,A-1,1,2026-11-20T10:30:00Z,7,1,5,", "currency must be an ISO 4217 code"},
		{"broken UTF-8", "legacy,A-\xff\xfe,1,2026-11-20T10:30:00Z,7,1,5,USD", "line is not valid UTF-8 text"},
		{"bare quote", `legacy,A"1,1,2026-11-20T10:30:00Z,7,1,5,USD`, "field 2: a quote in an unquoted field"},
		{"quote not closed", `legacy,"A-1,1,2026-11-20T10:30:00Z,7,1,5,USD`, "field 2: quoted field not closed on its line"},
		{"text after closing quote", `legacy,"A-1"x,1,2026-11-20T10:30:00Z,7,1,5,USD`, "field 2: unexpected text after the closing quote"},
	} {
		_, err := h.parseRow([]byte(c.row), testNow)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestCSVHeader(t *testing.T) {
	t.Parallel()
	// Any column order, any case, a byte-order mark: all fine.
	raw := append([]byte{0xEF, 0xBB, 0xBF}, "Currency,unit_price_cents,QUANTITY,product_id,ordered_at,line_no,external_order_id,source\n"...)
	h, err := readCSVHeader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	l, err := h.parseRow([]byte("USD,5,2,7,2026-11-20T10:30:00Z,1,A-1,legacy"), testNow)
	if err != nil || l.Currency != "USD" || l.Quantity != 2 || l.ProductID != 7 || l.Source != "legacy" {
		t.Fatalf("reordered columns: %+v %v", l, err)
	}
	for _, c := range []struct{ name, file, want string }{
		{"empty file", "", "the header row is missing"},
		{"blank first line", "\n" + header + "\n", "the header row is missing"},
		{"no header, data first", "legacy,A-1,1,2026-11-20T10:30:00Z,7,1,5,USD\n", `unknown column "legacy"`},
		{"missing columns", "source,external_order_id,line_no,ordered_at,product_id\n", "missing column(s) quantity,unit_price_cents,currency"},
		{"unknown column", header + ",note\n", `unknown column "note"`},
		{"repeated column", header + ",source\n", `column "source" appears twice`},
		{"broken UTF-8", "source\xff\n", "not valid UTF-8"},
	} {
		_, err := readCSVHeader(strings.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestGenerateFileIsValidAndRepeatable(t *testing.T) {
	t.Parallel()
	var a, b bytes.Buffer
	if err := ingesttest.GenerateFile(&a, 500, []int64{3, 5, 8}, 42); err != nil {
		t.Fatal(err)
	}
	if err := ingesttest.GenerateFile(&b, 500, []int64{3, 5, 8}, 42); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same seed wrote different files")
	}
	lines := strings.Split(strings.TrimSuffix(a.String(), "\n"), "\n")
	if len(lines) != 501 {
		t.Fatalf("%d lines, want a header and 500 rows", len(lines))
	}
	if lines[0] != strings.Join(CSVColumns, ",") {
		t.Fatalf("header %q, want the columns %v", lines[0], CSVColumns)
	}
	h := mustHeader(t, lines[0])
	keys := map[string]bool{}
	for i, row := range lines[1:] {
		l, err := h.parseRow([]byte(row), testNow)
		if err != nil {
			t.Fatalf("row %d %q: %v", i+2, row, err)
		}
		key := l.ExternalOrderID + "/" + string(rune('0'+l.LineNo))
		if keys[key] {
			t.Fatalf("row %d repeats order line %s", i+2, key)
		}
		keys[key] = true
	}
	var c bytes.Buffer
	if err := ingesttest.GenerateFile(&c, 500, []int64{3, 5, 8}, 43); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatal("another seed wrote the same file")
	}
}
