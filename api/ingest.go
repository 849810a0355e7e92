package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/ingest"
	"shopflow/store"
)

// maxIngestOrders caps the orders of one real-time ingest request; bigger loads go through
// batch files.
const maxIngestOrders = 10_000

// ingestResult is the answer to an ingest request: how its orders were counted.
type ingestResult struct {
	// Accepted counts orders with at least one line counted now.
	Accepted int `json:"accepted"`
	// Duplicates counts orders every line of which had been counted before, by any path.
	Duplicates int               `json:"duplicates"`
	Rejected   []ingestRejection `json:"rejected"`
}

// ingestRejection says why the record at Index (from 0) was not counted.
type ingestRejection struct {
	Index int    `json:"index"`
	Error string `json:"error"`
}

// ingestOrders counts the sales of orders reported by another system, each order line once
// whichever path reports it. Bad records are rejected one by one; the good ones are counted
// together in one transaction.
func (s *Server) ingestOrders(c *gin.Context) {
	records, err := readIngestRecords(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	now := time.Now()
	res := ingestResult{Rejected: []ingestRejection{}}
	reject := func(i int, err error) {
		res.Rejected = append(res.Rejected, ingestRejection{Index: i, Error: err.Error()})
	}

	orders := make(map[int]ingest.Order, len(records))
	var productIDs []int64
	for i, raw := range records {
		o, err := ingest.DecodeOrder(raw)
		if err == nil {
			err = o.Validate(now)
		}
		if err != nil {
			reject(i, err)
			continue
		}
		orders[i] = o
		for _, l := range o.Lines {
			productIDs = append(productIDs, l.ProductID)
		}
	}
	slices.Sort(productIDs)
	exists, err := s.Store.ExistingProducts(c, slices.Compact(productIDs))
	if err != nil {
		s.fail(c, err)
		return
	}

	// Good orders' lines go to the store in request order, so a repeated order is credited to
	// its first occurrence; spans[k] is where the k-th good order's lines are.
	var lines []store.SaleLine
	var spans [][2]int
	for i := range records {
		o, ok := orders[i]
		if !ok {
			continue
		}
		if err := unknownProduct(o, exists); err != nil {
			reject(i, err)
			continue
		}
		spans = append(spans, [2]int{len(lines), len(lines) + len(o.Lines)})
		lines = append(lines, o.SaleLines()...)
	}
	counted, err := s.Store.RecordSalesPerLine(c, lines)
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, span := range spans {
		if slices.Contains(counted[span[0]:span[1]], true) {
			res.Accepted++
		} else {
			res.Duplicates++
		}
	}
	slices.SortFunc(res.Rejected, func(a, b ingestRejection) int { return a.Index - b.Index })
	s.log(c).InfoContext(c, "orders ingested", "by", mustClaims(c).Subject, "orders", len(records),
		"accepted", res.Accepted, "duplicates", res.Duplicates, "rejected", len(res.Rejected))
	c.JSON(http.StatusOK, res)
}

// unknownProduct names the first line of o whose product does not exist.
func unknownProduct(o ingest.Order, exists map[int64]bool) error {
	for i, l := range o.Lines {
		if !exists[l.ProductID] {
			return fmt.Errorf("lines[%d].product_id %d does not exist", i, l.ProductID)
		}
	}
	return nil
}

// readIngestRecords splits the body into raw order records: the elements of a JSON array
// (application/json, the default) or the non-blank lines of NDJSON (application/x-ndjson).
// Records are not decoded here, so one bad record does not spoil the others; a body that is not
// an array at all, an empty body, or more than maxIngestOrders records fail the whole request.
func readIngestRecords(c *gin.Context) ([][]byte, error) {
	ndjson, err := isNDJSON(c.ContentType())
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return nil, bodyReadError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errs.E(errs.Invalid, "request body is empty; send a JSON array of orders, or NDJSON with one order per line")
	}
	var records [][]byte
	if ndjson {
		for line := range bytes.Lines(body) {
			if line = bytes.TrimSpace(line); len(line) > 0 {
				records = append(records, line)
			}
		}
	} else {
		if body = bytes.TrimSpace(body); body[0] != '[' {
			return nil, errs.E(errs.Invalid, "request body must be a JSON array of orders (or NDJSON sent as application/x-ndjson)")
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(body, &elems); err != nil {
			return nil, ingestBodyError(err)
		}
		records = make([][]byte, len(elems))
		for i, e := range elems {
			records[i] = e
		}
	}
	if len(records) > maxIngestOrders {
		return nil, errs.E(errs.TooLarge, "%d orders in one request; at most %d are taken, send more as a batch file (POST /api/v1/ingest/batches)",
			len(records), maxIngestOrders).WithDetails("max_orders", maxIngestOrders)
	}
	return records, nil
}

// isNDJSON tells the two body formats apart by Content-Type; no Content-Type means JSON.
func isNDJSON(contentType string) (bool, error) {
	if contentType == "" {
		return false, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil:
	case mt == "application/json":
		return false, nil
	case mt == "application/x-ndjson" || mt == "application/ndjson":
		return true, nil
	}
	return false, errs.E(errs.Invalid, "Content-Type must be application/json (an array of orders) or application/x-ndjson (one order per line), got %q", contentType)
}

func ingestBodyError(err error) error {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return errs.E(errs.Invalid, "malformed JSON at byte %d: the body must be a JSON array of orders", syntax.Offset)
	}
	return errs.Wrap(err, errs.Invalid, "malformed JSON: the body must be a JSON array of orders")
}
