package ingest

import (
	"time"

	"shopflow/store"
)

// NDJSON order files hold one order per line, in the shape the ingest API takes (Order); an
// order's lines are numbered by their position, from 1.

// parseNDJSONLine turns one line into the order's sale lines, decoded and checked exactly as the
// ingest API decodes and checks an order (DecodeOrder, then Validate), except that the products'
// existence is checked later, for a whole chunk at once.
func parseNDJSONLine(line []byte, now time.Time) ([]store.SaleLine, error) {
	o, err := DecodeOrder(line)
	if err == nil {
		err = o.Validate(now)
	}
	if err != nil {
		return nil, err
	}
	return o.SaleLines(), nil
}
