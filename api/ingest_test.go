package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const ingestPath = "/api/v1/ingest/orders"

// ingestResultBody is the IngestResult schema as a client reads it.
type ingestResultBody struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   []struct {
		Index int    `json:"index"`
		Error string `json:"error"`
	} `json:"rejected"`
}

// ingestFixture is an API with an admin, an ingest key and two products to report sales of.
type ingestFixture struct {
	*testEnv
	admin    account
	key      string
	p1, p2   int64
	at       time.Time // a plausible order time: an hour ago
	atString string
}

func newIngestFixture(t *testing.T) *ingestFixture {
	t.Helper()
	e := newEnv(t)
	seller := e.newSeller()
	f := &ingestFixture{testEnv: e, admin: e.newAdmin(),
		p1: e.fixtureProduct(seller, productFixture{}), p2: e.fixtureProduct(seller, productFixture{PriceCents: 250, Currency: "EUR"})}
	_, f.key = e.newAPIKey(f.admin, "order feed")
	f.at = time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	f.atString = f.at.Format(time.RFC3339)
	return f
}

// order is a good order record with one line per product given.
func (f *ingestFixture) order(source, id string, products ...int64) string {
	lines := make([]string, len(products))
	for i, p := range products {
		lines[i] = fmt.Sprintf(`{"product_id": %d, "quantity": %d, "unit_price_cents": 1000, "currency": "USD"}`, p, i+1)
	}
	return fmt.Sprintf(`{"source": %q, "external_order_id": %q, "ordered_at": %q, "lines": [%s]}`, source, id, f.atString, strings.Join(lines, ", "))
}

// ingest sends records as a JSON array (or as NDJSON) with the fixture's ingest key.
func (f *ingestFixture) ingest(ndjson bool, records ...string) response {
	f.t.Helper()
	return f.do(ingestRequest(ndjson, records, map[string]string{"X-API-Key": f.key}))
}

// mustIngest is ingest that fails the test unless the answer is 200, and decodes it.
func (f *ingestFixture) mustIngest(ndjson bool, records ...string) ingestResultBody {
	f.t.Helper()
	res := f.ingest(ndjson, records...)
	if res.Code != http.StatusOK {
		f.t.Fatalf("ingest: status %d: %s", res.Code, res.Body)
	}
	var body ingestResultBody
	res.JSON(f.t, &body)
	return body
}

func ingestRequest(ndjson bool, records []string, header map[string]string) req {
	h := map[string]string{}
	for k, v := range header {
		h[k] = v
	}
	body := "[" + strings.Join(records, ",\n") + "]"
	if ndjson {
		h["Content-Type"] = "application/x-ndjson"
		body = strings.Join(records, "\n") + "\n"
	}
	return req{Method: "POST", Path: ingestPath, Body: body, Header: h}
}

// assertRollupMatchesFacts compares sales_hourly with an independent sum over sales_facts,
// both ways, so a missing, extra or wrong rollup row fails.
func (f *ingestFixture) assertRollupMatchesFacts() {
	f.t.Helper()
	n := f.countRows(`
		WITH facts AS (
			SELECT date_trunc('hour', ordered_at) AS hour, product_id, currency, min(category_id) AS category_id,
			       min(seller_id::text) AS seller_id, sum(quantity) AS units, sum(quantity * unit_price_cents) AS revenue, count(*) AS lines
			FROM sales_facts GROUP BY 1, 2, 3),
		rollup AS (
			SELECT hour, product_id, currency, category_id, seller_id::text, units, revenue_cents, lines FROM sales_hourly)
		SELECT (SELECT count(*) FROM (SELECT * FROM facts EXCEPT SELECT * FROM rollup) a) +
		       (SELECT count(*) FROM (SELECT * FROM rollup EXCEPT SELECT * FROM facts) b)`)
	if n != 0 {
		f.t.Fatalf("%d rows differ between sales_hourly and the sum over sales_facts", n)
	}
}

// TestIngestOrdersRejectsBadRecords sends one request per format with a good order first and
// last and every kind of bad record between: each bad record is rejected with its index and a
// message naming the problem, and the good ones are counted.
func TestIngestOrdersRejectsBadRecords(t *testing.T) {
	t.Parallel()
	// Each row builds its record from the fixture; the ids start with "bad-" so a test can see
	// that none of them was counted.
	type badRecord struct {
		name       string
		record     func(f *ingestFixture) string
		wantErr    string
		ndjsonOnly bool // a malformed record spoils a whole JSON array, so it is a 400 there
	}
	rec := func(fields string) func(f *ingestFixture) string {
		return func(f *ingestFixture) string {
			return strings.NewReplacer("$P1", fmt.Sprint(f.p1), "$AT", f.atString).Replace(fields)
		}
	}
	const line = `{"product_id": $P1, "quantity": 1, "unit_price_cents": 100, "currency": "USD"}`
	rows := []badRecord{
		{name: "missing source", wantErr: "source is required",
			record: rec(`{"external_order_id": "bad-1", "ordered_at": "$AT", "lines": [` + line + `]}`)},
		{name: "missing external_order_id", wantErr: "external_order_id is required",
			record: rec(`{"source": "legacy", "ordered_at": "$AT", "lines": [` + line + `]}`)},
		{name: "missing ordered_at", wantErr: "ordered_at is required",
			record: rec(`{"source": "legacy", "external_order_id": "bad-3", "lines": [` + line + `]}`)},
		{name: "missing lines", wantErr: "lines is required",
			record: rec(`{"source": "legacy", "external_order_id": "bad-4", "ordered_at": "$AT"}`)},
		{name: "no lines at all", wantErr: "at least one line",
			record: rec(`{"source": "legacy", "external_order_id": "bad-5", "ordered_at": "$AT", "lines": []}`)},
		{name: "missing price is not a free item", wantErr: "lines[0].unit_price_cents is required",
			record: rec(`{"source": "legacy", "external_order_id": "bad-6", "ordered_at": "$AT", "lines": [{"product_id": $P1, "quantity": 1, "currency": "USD"}]}`)},
		{name: "bad date format", wantErr: "ordered_at must be an RFC 3339 time",
			record: rec(`{"source": "legacy", "external_order_id": "bad-7", "ordered_at": "2026-11-20 10:30", "lines": [` + line + `]}`)},
		{name: "far-future date", wantErr: "out of range",
			record: func(f *ingestFixture) string {
				return strings.Replace(rec(`{"source": "legacy", "external_order_id": "bad-8", "ordered_at": "$AT", "lines": [`+line+`]}`)(f),
					f.atString, time.Now().UTC().Add(72*time.Hour).Format(time.RFC3339), 1)
			}},
		{name: "date before 2000", wantErr: "out of range",
			record: rec(`{"source": "legacy", "external_order_id": "bad-9", "ordered_at": "1999-12-31T23:59:59Z", "lines": [` + line + `]}`)},
		{name: "unknown product, on the second line", wantErr: "lines[1].product_id 987654321 does not exist",
			record: rec(`{"source": "legacy", "external_order_id": "bad-10", "ordered_at": "$AT", "lines": [` + line +
				`, {"product_id": 987654321, "quantity": 1, "unit_price_cents": 100, "currency": "USD"}]}`)},
		{name: "zero quantity", wantErr: "lines[0].quantity must be between 1",
			record: rec(`{"source": "legacy", "external_order_id": "bad-11", "ordered_at": "$AT", "lines": [{"product_id": $P1, "quantity": 0, "unit_price_cents": 100, "currency": "USD"}]}`)},
		{name: "negative quantity", wantErr: "lines[0].quantity must be between 1",
			record: rec(`{"source": "legacy", "external_order_id": "bad-12", "ordered_at": "$AT", "lines": [{"product_id": $P1, "quantity": -3, "unit_price_cents": 100, "currency": "USD"}]}`)},
		{name: "fractional quantity", wantErr: "lines[0].quantity must be an integer",
			record: rec(`{"source": "legacy", "external_order_id": "bad-13", "ordered_at": "$AT", "lines": [{"product_id": $P1, "quantity": 1.5, "unit_price_cents": 100, "currency": "USD"}]}`)},
		{name: "negative price", wantErr: "lines[0].unit_price_cents must be between 0",
			record: rec(`{"source": "legacy", "external_order_id": "bad-14", "ordered_at": "$AT", "lines": [{"product_id": $P1, "quantity": 1, "unit_price_cents": -1, "currency": "USD"}]}`)},
		{name: "bad currency", wantErr: "lines[0].currency must be an ISO 4217 code",
			record: rec(`{"source": "legacy", "external_order_id": "bad-15", "ordered_at": "$AT", "lines": [{"product_id": $P1, "quantity": 1, "unit_price_cents": 100, "currency": "usd"}]}`)},
		{name: "bad source", wantErr: "source must be 1 to 64 lower-case letters",
			record: rec(`{"source": "Legacy Shop", "external_order_id": "bad-16", "ordered_at": "$AT", "lines": [` + line + `]}`)},
		{name: "unknown field", wantErr: `unknown field "note"`,
			record: rec(`{"source": "legacy", "external_order_id": "bad-17", "ordered_at": "$AT", "lines": [` + line + `], "note": "gift"}`)},
		{name: "unknown field in a line", wantErr: `lines[0]: unknown field "sku"`,
			record: rec(`{"source": "legacy", "external_order_id": "bad-18", "ordered_at": "$AT", "lines": [{"product_id": $P1, "quantity": 1, "unit_price_cents": 100, "currency": "USD", "sku": "X"}]}`)},
		{name: "not an object: a number", wantErr: "record must be a JSON object, got a number", record: rec(`42`)},
		{name: "not an object: an array", wantErr: "record must be a JSON object, got an array",
			record: rec(`[{"source": "legacy", "external_order_id": "bad-20", "ordered_at": "$AT", "lines": [` + line + `]}]`)},
		{name: "not an object: null", wantErr: "record must be a JSON object, got null", record: rec(`null`)},
		{name: "a line that is not an object", wantErr: "lines[0] must be a JSON object",
			record: rec(`{"source": "legacy", "external_order_id": "bad-22", "ordered_at": "$AT", "lines": ["one lamp"]}`)},
		{name: "broken UTF-8 in a string is refused, not mangled into another order id", wantErr: "not valid UTF-8",
			record: rec(`{"source": "legacy", "external_order_id": "bad-23-` + "\xff\xfe" + `", "ordered_at": "$AT", "lines": [` + line + `]}`)},
		{name: "NUL in the order id", wantErr: "control characters",
			record: rec(`{"source": "legacy", "external_order_id": "bad-24\u0000", "ordered_at": "$AT", "lines": [` + line + `]}`)},
		{name: "a malformed line of NDJSON spoils only itself", wantErr: "malformed JSON", ndjsonOnly: true,
			record: rec(`{"source": "legacy", "external_order_id": "bad-25", `)},
		{name: "two objects on one NDJSON line", wantErr: "single JSON object", ndjsonOnly: true,
			record: rec(`{"source": "legacy", "external_order_id": "bad-26", "ordered_at": "$AT", "lines": [` + line + `]} {}`)},
	}
	for _, format := range []struct {
		name   string
		ndjson bool
	}{{"JSON array", false}, {"NDJSON", true}} {
		t.Run(format.name, func(t *testing.T) {
			t.Parallel()
			f := newIngestFixture(t)
			records := []string{f.order("legacy", "good-first", f.p1, f.p2)}
			var want []badRecord
			for _, r := range rows {
				if r.ndjsonOnly && !format.ndjson {
					continue
				}
				records = append(records, r.record(f))
				want = append(want, r)
			}
			records = append(records, f.order("legacy", "good-last", f.p2))
			if format.ndjson {
				records[0] += "\n  \r" // blank lines are skipped and are not records
			}
			got := f.mustIngest(format.ndjson, records...)
			if got.Accepted != 2 || got.Duplicates != 0 {
				t.Errorf("accepted %d, duplicates %d; want the 2 good orders accepted", got.Accepted, got.Duplicates)
			}
			if len(got.Rejected) != len(want) {
				t.Fatalf("%d rejected, want %d: %+v", len(got.Rejected), len(want), got.Rejected)
			}
			for i, r := range want {
				rej := got.Rejected[i]
				if rej.Index != i+1 || !strings.Contains(rej.Error, r.wantErr) {
					t.Errorf("%s: rejected[%d] = index %d %q; want index %d and an error containing %q", r.name, i, rej.Index, rej.Error, i+1, r.wantErr)
				}
			}
			if n := f.countRows(`SELECT count(*) FROM sale_keys`); n != 3 {
				t.Errorf("%d lines counted, want the good orders' 3", n)
			}
			if n := f.countRows(`SELECT count(*) FROM sales_facts WHERE external_order_id NOT LIKE 'good-%'`); n != 0 {
				t.Errorf("%d lines of rejected records were counted", n)
			}
			f.assertRollupMatchesFacts()
		})
	}
}
