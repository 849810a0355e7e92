// Package ingesttest makes order files for tests and load drivers of package ingest. It does
// not import ingest, so ingest's own tests can use it.
package ingesttest

import (
	"bufio"
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// csvHeader is the header row of a CSV order file (ingest.CSVColumns); ingest's tests check
// that the two agree.
const csvHeader = "source,external_order_id,line_no,ordered_at,product_id,quantity,unit_price_cents,currency\n"

// GenerateFile writes a CSV order file of the given number of order lines (plus the header),
// for tests and load drivers: orders of one to five lines of the given products, at times in
// November 2026, all valid. The same seed writes the same file; its orders use source "gen"
// and order ids starting "g<seed>-", so files of different seeds share no order.
func GenerateFile(w io.Writer, lines int, products []int64, seed int64) error {
	if len(products) == 0 {
		return errors.New("generate order file: no products")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	rnd := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if _, err := bw.WriteString(csvHeader); err != nil {
		return err
	}
	var buf []byte
	for order, written := 1, 0; written < lines; order++ {
		at := start.Add(time.Duration(rnd.Int64N(int64(19 * 24 * time.Hour)))).Truncate(time.Second).Format(time.RFC3339)
		n := min(1+rnd.IntN(5), lines-written)
		for lineNo := 1; lineNo <= n; lineNo++ {
			buf = buf[:0]
			buf = append(buf, "gen,g"...)
			buf = strconv.AppendInt(buf, seed, 10)
			buf = append(buf, '-')
			buf = strconv.AppendInt(buf, int64(order), 10)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(lineNo), 10)
			buf = append(buf, ',')
			buf = append(buf, at...)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, products[rnd.IntN(len(products))], 10)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(1+rnd.IntN(5)), 10)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(100+rnd.IntN(10_000)), 10)
			buf = append(buf, ",USD\n"...)
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
		written += n
	}
	return bw.Flush()
}
