package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"shopflow/store"
)

// limitCase is one field value at or just past a limit of docs/INGEST.md.
type limitCase struct {
	name    string
	row     csvFields
	wantErr string // empty: accepted
}

// csvFields are a row's fields by column; the zero value of a field keeps the valid default.
type csvFields struct {
	source, orderID, lineNo, orderedAt, quantity, price, currency string
}

func (f csvFields) csv() string {
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	return strings.Join([]string{def(f.source, "legacy"), `"` + def(f.orderID, "A-1") + `"`, def(f.lineNo, "1"),
		def(f.orderedAt, "2026-11-20T10:30:00Z"), "7", def(f.quantity, "1"), def(f.price, "5"), def(f.currency, "USD")}, ",")
}

// ndjson writes the same line as a one-line NDJSON order (line_no is its position, so 1).
func (f csvFields) ndjson() string {
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	str := func(v, d string) string {
		b, _ := json.Marshal(def(v, d))
		return string(b)
	}
	return fmt.Sprintf(`{"source":%s,"external_order_id":%s,"ordered_at":%s,"lines":[{"product_id":7,"quantity":%s,"unit_price_cents":%s,"currency":%s}]}`,
		str(f.source, "legacy"), str(f.orderID, "A-1"), str(f.orderedAt, "2026-11-20T10:30:00Z"), def(f.quantity, "1"),
		def(f.price, "5"), str(f.currency, "USD"))
}

// limitCases: each documented limit is accepted, and one past it refused, naming the field.
func limitCases() []limitCase {
	return []limitCase{
		{"quantity 1,000,000 is the largest", csvFields{quantity: "1000000"}, ""},
		{"quantity 1,000,001 is too many", csvFields{quantity: "1000001"}, "quantity must be between 1 and 1000000, got 1000001"},
		{"quantity 1 is the smallest", csvFields{quantity: "1"}, ""},
		{"unit_price_cents 100,000,000,000 is the highest, as in the catalog", csvFields{price: "100000000000"}, ""},
		{"unit_price_cents one more is too high", csvFields{price: "100000000001"}, "unit_price_cents must be between 0 and 100000000000, got 100000000001"},
		{"unit_price_cents 0 is a free item", csvFields{price: "0"}, ""},
		{"a line worth 10^14 is the most", csvFields{quantity: "1000", price: "100000000000"}, ""},
		{"a line worth more than 10^14 is refused", csvFields{quantity: "1000000", price: "100000001"},
			"unit_price_cents × quantity must be at most 100000000000000, got 100000001 × 1000000"},
		{"source of 64 characters", csvFields{source: "s" + strings.Repeat("x", 63)}, ""},
		{"source of 65 characters", csvFields{source: "s" + strings.Repeat("x", 64)}, "source must be 1 to 64"},
		{"external_order_id of 128 characters, counted as characters, not bytes", csvFields{orderID: strings.Repeat("é", 128)}, ""},
		{"external_order_id of 129 characters", csvFields{orderID: strings.Repeat("x", 129)}, "external_order_id must be 1 to 128 characters"},
		{"ordered_at 2000-01-01 is the earliest", csvFields{orderedAt: "2000-01-01T00:00:00Z"}, ""},
		{"ordered_at a second before 2000 is refused", csvFields{orderedAt: "1999-12-31T23:59:59Z"}, "ordered_at 1999-12-31T23:59:59Z is out of range"},
		{"ordered_at a day ahead is the latest", csvFields{orderedAt: testNow.Add(MaxFutureSkew).Format(time.RFC3339)}, ""},
		{"ordered_at a day and a second ahead is refused", csvFields{orderedAt: testNow.Add(MaxFutureSkew + time.Second).Format(time.RFC3339)}, "ordered_at 2026-11-22T12:00:01Z is out of range"},
		{"currency of three upper-case letters", csvFields{currency: "JPY"}, ""},
		{"currency not assigned (the catalog refuses it too) is refused", csvFields{currency: "XYZ"}, `currency must be an ISO 4217 code in use, like USD, got "XYZ"`},
		{"currency in lower case is refused", csvFields{currency: "jpy"}, `currency must be an ISO 4217 code in use, like USD, got "jpy"`},
	}
}

func TestLimitsOfCSVRows(t *testing.T) {
	t.Parallel()
	h := mustHeader(t, header)
	cases := append(limitCases(),
		limitCase{"line_no 1000 is the highest", csvFields{lineNo: "1000"}, ""},
		limitCase{"line_no 1001 is too high", csvFields{lineNo: "1001"}, "line_no must be between 1 and 1000, got 1001"})
	for _, c := range cases {
		_, err := h.parseRow([]byte(c.row.csv()), testNow)
		checkLimit(t, c, err)
	}
}

func TestLimitsOfNDJSONOrders(t *testing.T) {
	t.Parallel()
	for _, c := range limitCases() {
		_, err := parseNDJSONLine([]byte(c.row.ndjson()), testNow)
		for _, field := range []string{"quantity", "unit_price_cents", "currency"} {
			if strings.HasPrefix(c.wantErr, field) {
				c.wantErr = "lines[0]." + c.wantErr // the API's JSON names a line's fields so
			}
		}
		checkLimit(t, c, err)
	}
	order := func(lines int) string {
		line := `{"product_id":7,"quantity":1,"unit_price_cents":5,"currency":"USD"}`
		return `{"source":"legacy","external_order_id":"A-1","ordered_at":"2026-11-20T10:30:00Z","lines":[` +
			strings.Repeat(line+",", lines-1) + line + `]}`
	}
	checkLimit(t, limitCase{name: "an order of 1000 lines"}, func() error { _, err := parseNDJSONLine([]byte(order(1000)), testNow); return err }())
	checkLimit(t, limitCase{name: "an order of 1001 lines", wantErr: "lines must hold at most 1000 lines"},
		func() error { _, err := parseNDJSONLine([]byte(order(1001)), testNow); return err }())
}

func checkLimit(t *testing.T, c limitCase, err error) {
	t.Helper()
	switch {
	case c.wantErr == "" && err != nil:
		t.Errorf("%s: refused: %v", c.name, err)
	case c.wantErr != "" && err == nil:
		t.Errorf("%s: accepted, want %q", c.name, c.wantErr)
	case c.wantErr != "" && !strings.HasPrefix(err.Error(), c.wantErr):
		t.Errorf("%s: error %q, want one starting %q", c.name, err, c.wantErr)
	}
}

// TestRejectionReasonsStayShort: a reason quotes a few dozen characters of a bad value, never
// the whole of a line up to 1 MiB (which would make the error file, and a chunk's memory,
// several times the size of the lines it rejects).
func TestRejectionReasonsStayShort(t *testing.T) {
	t.Parallel()
	h := mustHeader(t, header)
	huge := strings.Repeat("\x01", 100_000)
	rows := map[string]string{
		"source":     csvFields{source: "x" + huge}.csv(),
		"ordered_at": csvFields{orderedAt: huge}.csv(),
		"quantity":   csvFields{quantity: huge}.csv(),
		"currency":   csvFields{currency: huge}.csv(),
	}
	for field, row := range rows {
		_, err := h.parseRow([]byte(row), testNow)
		if err == nil || !strings.HasPrefix(err.Error(), field) || len(err.Error()) > maxReasonBytes {
			t.Errorf("CSV row with a huge %s: reason of %d bytes: %.200v", field, len(fmt.Sprint(err)), err)
		}
	}
	for field, line := range map[string]string{
		"lines[0].currency":     csvFields{currency: huge}.ndjson(),
		"source":                csvFields{source: "x" + huge}.ndjson(),
		"record: unknown field": `{"` + strings.Repeat("x", 100_000) + `":1}`,
	} {
		_, err := parseNDJSONLine([]byte(line), testNow)
		if err == nil || !strings.HasPrefix(err.Error(), field) || len(err.Error()) > maxReasonBytes {
			t.Errorf("NDJSON line with a huge %s: reason of %d bytes: %.200v", field, len(fmt.Sprint(err)), err)
		}
	}
}

// TestLoneSurrogateInOrderIDIsRefused: encoding/json decodes "\ud800" and "\udbff" alike to
// U+FFFD, so two different orders would count as one; such an id is refused as mangled.
func TestLoneSurrogateInOrderIDIsRefused(t *testing.T) {
	t.Parallel()
	for _, id := range []string{`A-\ud800`, `A-\udbff-1`, `\udc00`} {
		line := `{"source":"legacy","external_order_id":"` + id + `","ordered_at":"2026-11-20T10:30:00Z",` +
			`"lines":[{"product_id":7,"quantity":1,"unit_price_cents":5,"currency":"USD"}]}`
		if _, err := parseNDJSONLine([]byte(line), testNow); err == nil || !strings.Contains(err.Error(), "external_order_id must not contain U+FFFD") {
			t.Errorf("order id %s: error %v, want it refused as mangled", id, err)
		}
	}
	// A well-formed surrogate pair is one character, and fine.
	line := `{"source":"legacy","external_order_id":"A-\ud83d\ude00","ordered_at":"2026-11-20T10:30:00Z",` +
		`"lines":[{"product_id":7,"quantity":1,"unit_price_cents":5,"currency":"USD"}]}`
	if sales, err := parseNDJSONLine([]byte(line), testNow); err != nil || sales[0].ExternalOrderID != "A-\U0001F600" {
		t.Errorf("order id with a surrogate pair: %+v, %v", sales, err)
	}
}

// TestNDJSONFileWithByteOrderMark: a file saved with a byte-order mark keeps its first order,
// as a CSV file keeps its header row.
func TestNDJSONFileWithByteOrderMark(t *testing.T) {
	t.Parallel()
	file := append(append([]byte{}, utf8BOM...), csvFields{}.ndjson()+"\n"+csvFields{orderID: "A-2"}.ndjson()+"\n"...)
	batch := store.Batch{ID: "bom", Format: string(FormatNDJSON), SizeBytes: int64(len(file))}
	b := &Batches{Now: func() time.Time { return testNow }}
	parse, err := b.parser(batch, bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.readChunk(batch, NewLineReader(bytes.NewReader(file), 0, MaxLineBytes), parse, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.rejects) != 0 || len(c.sales) != 2 || c.sales[0].ExternalOrderID != "A-1" {
		t.Fatalf("rejects %+v, sales %+v; want both orders", c.rejects, c.sales)
	}
}
