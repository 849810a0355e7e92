package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"shopflow/store"
)

// CSV order files (RFC 4180) hold one order line per row, under a header row naming the
// columns (in any order). A record is one line: a quoted field may hold commas and doubled
// quotes, but not a line break, so that one stray quote can never swallow the rest of a file
// and every chunk starts at a line. None of the columns needs a line break.

// CSVColumns are the columns of a CSV order file, as its header row names them.
var CSVColumns = []string{"source", "external_order_id", "line_no", "ordered_at", "product_id", "quantity", "unit_price_cents", "currency"}

const (
	colSource = iota
	colExternalOrderID
	colLineNo
	colOrderedAt
	colProductID
	colQuantity
	colUnitPriceCents
	colCurrency
)

// csvHeader maps each column to its position in the file's rows.
type csvHeader struct {
	pos    [8]int
	fields int
}

// utf8BOM starts files saved by some spreadsheets; it is not part of the first column's name.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readCSVHeader reads and checks the header row at the start of r.
func readCSVHeader(r io.Reader) (csvHeader, error) {
	raw, err := NewLineReader(r, 0, MaxLineBytes).Next()
	if errors.Is(err, io.EOF) || (err == nil && len(bytes.TrimSpace(raw.Data)) == 0) {
		return csvHeader{}, fmt.Errorf("the header row is missing: the first line must name the columns %s", strings.Join(CSVColumns, ","))
	}
	if err != nil {
		return csvHeader{}, err
	}
	if raw.TooLong {
		return csvHeader{}, fmt.Errorf("the header row is longer than %d bytes", MaxLineBytes)
	}
	return parseCSVHeader(bytes.TrimPrefix(raw.Data, utf8BOM))
}

func parseCSVHeader(line []byte) (csvHeader, error) {
	if err := validUTF8(line); err != nil {
		return csvHeader{}, fmt.Errorf("header row: %w", err)
	}
	names, err := splitCSV(line, nil)
	if err != nil {
		return csvHeader{}, fmt.Errorf("header row: %w", err)
	}
	h := csvHeader{fields: len(names)}
	for i := range h.pos {
		h.pos[i] = -1
	}
	for i, name := range names {
		name = strings.ToLower(strings.TrimSpace(name))
		col := -1
		for c, want := range CSVColumns {
			if name == want {
				col = c
			}
		}
		switch {
		case col < 0:
			return csvHeader{}, fmt.Errorf("header row: unknown column %s; the columns are %s", quoteValue(name), strings.Join(CSVColumns, ","))
		case h.pos[col] >= 0:
			return csvHeader{}, fmt.Errorf("header row: column %q appears twice", name)
		}
		h.pos[col] = i
	}
	var missing []string
	for c, p := range h.pos {
		if p < 0 {
			missing = append(missing, CSVColumns[c])
		}
	}
	if len(missing) > 0 {
		return csvHeader{}, fmt.Errorf("header row: missing column(s) %s", strings.Join(missing, ","))
	}
	return h, nil
}

// parseRow turns one data row into a sale line, checked as the ingest API checks an order
// (except that the product's existence is checked later, for a whole chunk at once).
func (h csvHeader) parseRow(line []byte, now time.Time) (store.SaleLine, error) {
	if err := validUTF8(line); err != nil {
		return store.SaleLine{}, err
	}
	fields, err := splitCSV(line, make([]string, 0, h.fields))
	if err != nil {
		return store.SaleLine{}, err
	}
	if len(fields) != h.fields {
		return store.SaleLine{}, fmt.Errorf("the row has %d fields, the header %d", len(fields), h.fields)
	}
	get := func(col int) string { return fields[h.pos[col]] }
	var l Line
	var lineNo int
	var at time.Time
	if lineNo, err = csvInt(get(colLineNo), "line_no"); err != nil {
		return store.SaleLine{}, err
	}
	if lineNo < 1 || lineNo > MaxLines {
		return store.SaleLine{}, fmt.Errorf("line_no must be between 1 and %d, got %d", MaxLines, lineNo)
	}
	if s := strings.TrimSpace(get(colOrderedAt)); s != "" {
		if at, err = time.Parse(time.RFC3339, s); err != nil {
			return store.SaleLine{}, fmt.Errorf("ordered_at must be an RFC 3339 time such as 2026-11-20T10:30:00Z, got %s", quoteValue(s))
		}
	}
	if l.ProductID, err = csvInt64(get(colProductID), "product_id"); err != nil {
		return store.SaleLine{}, err
	}
	if l.Quantity, err = csvInt(get(colQuantity), "quantity"); err != nil {
		return store.SaleLine{}, err
	}
	if l.UnitPriceCents, err = csvInt64(get(colUnitPriceCents), "unit_price_cents"); err != nil {
		return store.SaleLine{}, err
	}
	l.Currency = strings.TrimSpace(get(colCurrency))
	o := Order{Source: strings.TrimSpace(get(colSource)), ExternalOrderID: get(colExternalOrderID), OrderedAt: at, Lines: []Line{l}}
	if err := o.Validate(now); err != nil {
		// Validate names fields as the API's JSON does; a CSV row has them as columns.
		return store.SaleLine{}, errors.New(strings.Replace(err.Error(), "lines[0].", "", 1))
	}
	sl := o.SaleLines()[0]
	sl.LineNo = lineNo
	return sl, nil
}

func csvInt(s, column string) (int, error) {
	n, err := csvInt64(s, column)
	if err != nil {
		return 0, err
	}
	if n != int64(int32(n)) {
		return 0, fmt.Errorf("%s is out of range, got %d", column, n)
	}
	return int(n), nil
}

func csvInt64(s, column string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%s is required", column)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s must be an integer, got %s", column, quoteValue(s))
	}
	return n, nil
}

// splitCSV splits one RFC 4180 record into its fields, appended to dst. Unquoted fields lose
// surrounding spaces; quoted ones are kept exactly, with doubled quotes undoubled.
func splitCSV(line []byte, dst []string) ([]string, error) {
	for field := 1; ; field++ {
		var value string
		if rest := bytes.TrimLeft(line, " \t"); len(rest) > 0 && rest[0] == '"' {
			var b strings.Builder
			i := 1
			for {
				j := bytes.IndexByte(rest[i:], '"')
				if j < 0 {
					return nil, fmt.Errorf("field %d: quoted field not closed on its line (a field cannot hold a line break)", field)
				}
				b.Write(rest[i : i+j])
				i += j + 1
				if i < len(rest) && rest[i] == '"' { // a doubled quote stands for one
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			value = b.String()
			line = bytes.TrimLeft(rest[i:], " \t")
			if len(line) > 0 && line[0] != ',' {
				return nil, fmt.Errorf("field %d: unexpected text after the closing quote", field)
			}
		} else {
			end := bytes.IndexByte(line, ',')
			if end < 0 {
				end = len(line)
			}
			raw := line[:end]
			if bytes.IndexByte(raw, '"') >= 0 {
				return nil, fmt.Errorf("field %d: a quote in an unquoted field (quote the field and double the quote)", field)
			}
			value = string(bytes.TrimSpace(raw))
			line = line[end:]
		}
		dst = append(dst, value)
		if len(line) == 0 {
			return dst, nil
		}
		line = line[1:] // the comma
	}
}

// validUTF8 refuses a line that is not UTF-8 text.
func validUTF8(line []byte) error {
	if !utf8.Valid(line) {
		return errors.New("line is not valid UTF-8 text")
	}
	return nil
}
