package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"shopflow/store"
)

// The fuzz targets below hold the parsers to one promise: whatever a file holds, each line
// either becomes sale lines that the database can store and that say what the line said, or is
// rejected on its own with a short reason naming what is wrong. Only a CSV file whose header
// row cannot be read fails as a whole, as ErrUnusableBatch. Their seed corpora, including every
// input that once failed, are in testdata/fuzz/<target>/ and replay on every `go test`.

// maxReasonBytes bounds a rejection's reason: it quotes at most a few dozen runes of the line.
const maxReasonBytes = 400

// FuzzCSVRow parses one data row under the documented header.
func FuzzCSVRow(f *testing.F) {
	f.Add([]byte("legacy,A-1,2,2026-11-20T10:30:00Z,7,3,1999,USD"))
	h, err := parseCSVHeader([]byte(header))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, row []byte) {
		sl, err := h.parseRow(row, testNow)
		if err != nil {
			checkReason(t, err, "the row has", "field ", "line is not")
			return
		}
		checkSaleLine(t, sl)
		again, err := h.parseRow([]byte(csvRow(sl)), testNow)
		if err != nil {
			t.Fatalf("row %q parsed as %+v, which written back as %q is refused: %v", row, sl, csvRow(sl), err)
		}
		if !sameSaleLine(again, sl) {
			t.Fatalf("row %q parsed as %+v, written back and parsed again as %+v", row, sl, again)
		}
	})
}

// FuzzNDJSONLine parses one NDJSON line, as files and the ingest API carry orders.
func FuzzNDJSONLine(f *testing.F) {
	f.Add([]byte(`{"source":"legacy","external_order_id":"A-1","ordered_at":"2026-11-20T10:30:00Z",` +
		`"lines":[{"product_id":7,"quantity":2,"unit_price_cents":500,"currency":"USD"}]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		sales, err := parseNDJSONLine(line, testNow)
		if err != nil {
			checkReason(t, err, "record", "lines")
			return
		}
		if len(sales) == 0 || len(sales) > MaxLines {
			t.Fatalf("line %q gave %d sale lines", line, len(sales))
		}
		for i, sl := range sales {
			checkSaleLine(t, sl)
			if sl.LineNo != i+1 || sl.Source != sales[0].Source || sl.ExternalOrderID != sales[0].ExternalOrderID ||
				!sl.OrderedAt.Equal(sales[0].OrderedAt) {
				t.Fatalf("line %q: sale line %d is %+v, not line %d of the order %+v", line, i, sl, i+1, sales[0])
			}
		}
		text := ndjsonLine(t, sales)
		again, err := parseNDJSONLine(text, testNow)
		if err != nil {
			t.Fatalf("line %q parsed as %+v, which written back as %s is refused: %v", line, sales, text, err)
		}
		if len(again) != len(sales) {
			t.Fatalf("line %q: %d sale lines, %d once written back", line, len(sales), len(again))
		}
		for i := range sales {
			if !sameSaleLine(again[i], sales[i]) {
				t.Fatalf("line %q: sale line %+v, written back and parsed again as %+v", line, sales[i], again[i])
			}
		}
	})
}

// FuzzReadChunk reads a whole file as a chunk does, without the product check (which needs the
// database), once in one chunk and once a few lines at a time, resuming at each chunk's end as
// a retried or continued workflow does; both readings must agree line for line.
func FuzzReadChunk(f *testing.F) {
	f.Add([]byte(header+"\nlegacy,A-1,1,2026-11-20T10:30:00Z,7,1,5,USD\n\nlegacy,A-1,0,x,7,1,5,USD"), false)
	f.Add([]byte(`{"source":"legacy","external_order_id":"A-1","ordered_at":"2026-11-20T10:30:00Z",`+
		`"lines":[{"product_id":7,"quantity":2,"unit_price_cents":500,"currency":"USD"}]}`+"\r\n{}\n"), true)
	f.Fuzz(func(t *testing.T, file []byte, ndjson bool) {
		batch := store.Batch{ID: "fuzz", Format: string(FormatCSV), SizeBytes: int64(len(file))}
		if ndjson {
			batch.Format = string(FormatNDJSON)
		}
		b := &Batches{ChunkLines: 1 << 30, Now: func() time.Time { return testNow }}
		parse, err := b.parser(batch, bytes.NewReader(file))
		if err != nil {
			if ndjson || !errors.Is(err, ErrUnusableBatch) || !strings.Contains(err.Error(), "header row") {
				t.Fatalf("a file fails as a whole only for its CSV header row, and says so; got %v", err)
			}
			return
		}
		whole, err := b.readChunk(batch, NewLineReader(bytes.NewReader(file), 0, MaxLineBytes), parse, nil)
		if err != nil {
			t.Fatalf("read chunk: %v", err)
		}
		checkChunk(t, file, batch, whole)
		checkErrorFile(t, file, whole.rejects)

		b.ChunkLines = 1 + len(file)%3
		var parts chunk
		for batch.OffsetBytes < batch.SizeBytes {
			c, err := b.readChunk(batch, NewLineReader(bytes.NewReader(file[batch.OffsetBytes:]), batch.OffsetBytes, MaxLineBytes), parse, nil)
			if err != nil {
				t.Fatalf("read chunk at byte %d: %v", batch.OffsetBytes, err)
			}
			if c.end <= batch.OffsetBytes {
				t.Fatalf("chunk at byte %d read nothing", batch.OffsetBytes)
			}
			for _, r := range c.records {
				r.from, r.to = r.from+len(parts.sales), r.to+len(parts.sales)
				parts.records = append(parts.records, r)
			}
			parts.sales = append(parts.sales, c.sales...)
			parts.rejects = append(parts.rejects, c.rejects...)
			batch.OffsetBytes, batch.LinesRead = c.end, c.linesRead
		}
		parts.linesRead, parts.end = batch.LinesRead, batch.OffsetBytes
		if fmt.Sprint(parts.records, parts.rejects, parts.linesRead, parts.end) != fmt.Sprint(whole.records, whole.rejects, whole.linesRead, whole.end) ||
			len(parts.sales) != len(whole.sales) {
			t.Fatalf("chunked reading differs from reading at once:\nchunked %+v\n at once %+v", parts, whole)
		}
		for i := range whole.sales {
			if !sameSaleLine(parts.sales[i], whole.sales[i]) {
				t.Fatalf("sale line %d: chunked %+v, at once %+v", i, parts.sales[i], whole.sales[i])
			}
		}
	})
}

// checkChunk checks that a chunk read the whole file and accounted for each of its lines once.
func checkChunk(t *testing.T, file []byte, batch store.Batch, c chunk) {
	t.Helper()
	lines := bytes.Count(file, []byte("\n"))
	if len(file) > 0 && file[len(file)-1] != '\n' {
		lines++
	}
	if c.end != int64(len(file)) || c.linesRead != int64(lines) {
		t.Fatalf("chunk read %d lines to byte %d; the file has %d lines, %d bytes", c.linesRead, c.end, lines, len(file))
	}
	seen := map[int64]bool{}
	for _, r := range c.records {
		seen[r.line] = true
		if r.to <= r.from || r.to > len(c.sales) || r.offset+r.length > int64(len(file)) {
			t.Fatalf("record %+v is out of bounds", r)
		}
	}
	for _, r := range c.rejects {
		if seen[r.line] || r.line < 1 || r.line > c.linesRead || r.offset+r.length > int64(len(file)) {
			t.Fatalf("rejection %+v is counted twice or out of bounds", r)
		}
		seen[r.line] = true
		checkReason(t, errors.New(r.reason), "the row has", "field ", "line ", "record", "lines")
	}
	for _, s := range c.sales {
		checkSaleLine(t, s)
	}
	// Every line neither counted nor rejected must be blank, or the CSV header row.
	for i, text := range bytes.Split(bytes.TrimSuffix(file, []byte("\n")), []byte("\n")) {
		line := int64(i + 1)
		if i == 0 {
			text = bytes.TrimPrefix(text, utf8BOM)
		}
		if !seen[line] && len(bytes.TrimSpace(text)) > 0 && (line > 1 || batch.Format != string(FormatCSV)) {
			t.Fatalf("line %d %q was neither counted nor rejected", line, text)
		}
	}
}

// checkErrorFile writes the chunk's rejections as IngestChunk does, and checks that each entry
// quotes the start of its line, as valid UTF-8, saying whether it was cut.
func checkErrorFile(t *testing.T, file []byte, rejects []rejected) {
	t.Helper()
	var text bytes.Buffer
	if err := writeRejections(&text, bytes.NewReader(file), rejects); err != nil {
		t.Fatalf("write rejections: %v", err)
	}
	if len(rejects) == 0 {
		if text.Len() > 0 {
			t.Fatalf("error entries without rejections: %s", text.Bytes())
		}
		return
	}
	entries := bytes.Split(bytes.TrimSuffix(text.Bytes(), []byte("\n")), []byte("\n"))
	if len(entries) != len(rejects) {
		t.Fatalf("%d rejections, %d error entries", len(rejects), len(entries))
	}
	for i, raw := range entries {
		var e Rejection
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatalf("error entry %s: %v", raw, err)
		}
		r := rejects[i]
		line := file[r.offset : r.offset+r.length]
		quoted := line[:min(len(line), excerptBytes)]
		if e.Line != r.line || e.Reason != r.reason || e.Truncated != (len(line) > excerptBytes) ||
			e.Text != strings.ToValidUTF8(string(quoted), "\uFFFD") {
			t.Fatalf("error entry %+v does not quote line %d %q", e, r.line, line)
		}
	}
}

// checkSaleLine checks that a parsed line is within every documented limit and holds text
// Postgres can store.
func checkSaleLine(t *testing.T, sl store.SaleLine) {
	t.Helper()
	for name, s := range map[string]string{"source": sl.Source, "external_order_id": sl.ExternalOrderID, "currency": sl.Currency} {
		if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) || strings.ContainsRune(s, utf8.RuneError) {
			t.Fatalf("%s %q is not clean UTF-8 text", name, s)
		}
	}
	o := Order{Source: sl.Source, ExternalOrderID: sl.ExternalOrderID, OrderedAt: sl.OrderedAt,
		Lines: []Line{{ProductID: sl.ProductID, Quantity: sl.Quantity, UnitPriceCents: sl.UnitPriceCents, Currency: sl.Currency}}}
	switch {
	case o.Validate(testNow) != nil:
		t.Fatalf("sale line %+v fails validation: %v", sl, o.Validate(testNow))
	case sl.LineNo < 1 || sl.LineNo > MaxLines:
		t.Fatalf("line_no %d is out of range", sl.LineNo)
	case sl.Quantity < 1 || sl.Quantity > MaxQuantity || sl.UnitPriceCents < 0 || sl.UnitPriceCents > MaxUnitPriceCents ||
		int64(sl.Quantity)*sl.UnitPriceCents > MaxLineTotalCents:
		t.Fatalf("quantity %d at %d is out of range", sl.Quantity, sl.UnitPriceCents)
	case len(sl.Source) > MaxSourceLength || utf8.RuneCountInString(sl.ExternalOrderID) > MaxOrderIDLength || strings.TrimSpace(sl.ExternalOrderID) == "":
		t.Fatalf("source %q or external_order_id %q is out of range", sl.Source, sl.ExternalOrderID)
	case sl.OrderedAt.Location() != time.UTC || sl.OrderedAt.Before(oldest) || sl.OrderedAt.After(testNow.Add(MaxFutureSkew)):
		t.Fatalf("ordered_at %v is out of range or not UTC", sl.OrderedAt)
	}
}

// checkReason checks that a rejection is short, readable, and starts with what it is about: a
// field's name or one of the given words.
func checkReason(t *testing.T, err error, starts ...string) {
	t.Helper()
	msg := err.Error()
	if msg == "" || len(msg) > maxReasonBytes || !utf8.ValidString(msg) || strings.ContainsRune(msg, 0) {
		t.Fatalf("reason %q is empty, longer than %d bytes, or not clean text", msg, maxReasonBytes)
	}
	for _, s := range append(starts, CSVColumns...) {
		if strings.HasPrefix(msg, s) {
			return
		}
	}
	if strings.HasPrefix(msg, "lines[") || strings.HasPrefix(msg, "ordered_at") {
		return
	}
	t.Fatalf("reason %q does not say what it is about", msg)
}

// csvRow writes a sale line as a CSV row of the documented header, quoting the order id.
func csvRow(sl store.SaleLine) string {
	return strings.Join([]string{sl.Source, `"` + strings.ReplaceAll(sl.ExternalOrderID, `"`, `""`) + `"`, strconv.Itoa(sl.LineNo),
		sl.OrderedAt.Format(time.RFC3339Nano), strconv.FormatInt(sl.ProductID, 10), strconv.Itoa(sl.Quantity),
		strconv.FormatInt(sl.UnitPriceCents, 10), sl.Currency}, ",")
}

// ndjsonLine writes an order's sale lines back as one NDJSON line.
func ndjsonLine(t *testing.T, sales []store.SaleLine) []byte {
	t.Helper()
	o := Order{Source: sales[0].Source, ExternalOrderID: sales[0].ExternalOrderID, OrderedAt: sales[0].OrderedAt}
	for _, sl := range sales {
		o.Lines = append(o.Lines, Line{ProductID: sl.ProductID, Quantity: sl.Quantity, UnitPriceCents: sl.UnitPriceCents, Currency: sl.Currency})
	}
	text, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func sameSaleLine(a, b store.SaleLine) bool {
	if !a.OrderedAt.Equal(b.OrderedAt) {
		return false
	}
	a.OrderedAt = b.OrderedAt
	return a == b
}
