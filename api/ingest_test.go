package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/store"
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

// TestIngestOrdersWholeRequest covers answers about the request as a whole, rather than its
// records.
func TestIngestOrdersWholeRequest(t *testing.T) {
	t.Parallel()
	f := newIngestFixture(t)
	many := func(n int, first string) []string {
		records := make([]string, n)
		records[0] = first
		for i := 1; i < n; i++ {
			records[i] = `{}`
		}
		return records
	}
	for _, tc := range []struct {
		name        string
		request     req
		wantStatus  int
		wantCode    string // of an error
		wantRejects int    // of a 200
	}{
		{name: "an object instead of an array is a 400", wantStatus: 400, wantCode: "invalid",
			request: req{Method: "POST", Path: ingestPath, Body: f.order("legacy", "w-1", f.p1)}},
		{name: "a malformed array is a 400", wantStatus: 400, wantCode: "invalid",
			request: req{Method: "POST", Path: ingestPath, Body: "[" + f.order("legacy", "w-2", f.p1) + ", {"}},
		{name: "text after the array is a 400", wantStatus: 400, wantCode: "invalid",
			request: req{Method: "POST", Path: ingestPath, Body: "[" + f.order("legacy", "w-3", f.p1) + "] []"}},
		{name: "null is not an array", wantStatus: 400, wantCode: "invalid",
			request: req{Method: "POST", Path: ingestPath, Body: "null"}},
		{name: "an empty body is a 400", wantStatus: 400, wantCode: "invalid",
			request: req{Method: "POST", Path: ingestPath}},
		{name: "an empty NDJSON body is a 400", wantStatus: 400, wantCode: "invalid",
			request: req{Method: "POST", Path: ingestPath, Body: "\n \n", Header: map[string]string{"Content-Type": "application/x-ndjson"}}},
		{name: "another content type is a 400", wantStatus: 400, wantCode: "invalid",
			request: req{Method: "POST", Path: ingestPath, Body: "source,external_order_id\n", Header: map[string]string{"Content-Type": "text/csv"}}},
		{name: "10,001 orders are too many, and none is counted", wantStatus: 413, wantCode: "too_large",
			request: ingestRequest(false, many(10_001, f.order("legacy", "w-4", f.p1)), nil)},
		{name: "10,001 NDJSON orders are too many, and none is counted", wantStatus: 413, wantCode: "too_large",
			request: ingestRequest(true, many(10_001, f.order("legacy", "w-5", f.p1)), nil)},
		{name: "a body over the limit is a 413", wantStatus: 413, wantCode: "too_large",
			request: ingestRequest(false, []string{f.order("legacy", strings.Repeat("x", 1<<20), f.p1)}, nil)},
		{name: "10,000 orders are taken, bad ones rejected one by one", wantStatus: 200, wantRejects: 9_999,
			request: ingestRequest(false, many(10_000, f.order("legacy", "w-6", f.p1)), nil)},
		{name: "an array of only bad records is still a 200", wantStatus: 200, wantRejects: 3,
			request: ingestRequest(false, []string{`1`, `{}`, `"x"`}, nil)},
		{name: "an empty array is a 200 with nothing counted", wantStatus: 200,
			request: ingestRequest(false, []string{}, nil)},
		{name: "a JSON Content-Type with a charset is JSON", wantStatus: 200, wantRejects: 1,
			request: req{Method: "POST", Path: ingestPath, Body: `[{}]`, Header: map[string]string{"Content-Type": "application/json; charset=utf-8"}}},
	} {
		tc.request.Token = f.admin.Token
		res := f.do(tc.request)
		if res.Code != tc.wantStatus {
			t.Errorf("%s: status %d, want %d: %s", tc.name, res.Code, tc.wantStatus, truncate(res.Body))
			continue
		}
		if tc.wantCode != "" {
			if code := res.ErrorCode(t); code != tc.wantCode {
				t.Errorf("%s: error code %q, want %q", tc.name, code, tc.wantCode)
			}
			continue
		}
		var got ingestResultBody
		res.JSON(t, &got)
		if got.Rejected == nil || len(got.Rejected) != tc.wantRejects {
			t.Errorf("%s: %d rejected, want %d", tc.name, len(got.Rejected), tc.wantRejects)
		}
	}
	// Only "w-6", the good order among the 10,000, was counted.
	if n := f.countRows(`SELECT count(*) FROM sale_keys`); n != 1 {
		t.Fatalf("%d lines counted, want only w-6's", n)
	}
	if n := f.countRows(`SELECT count(*) FROM sale_keys WHERE external_order_id = 'w-6'`); n != 1 {
		t.Fatal("w-6 was not counted")
	}
}

// TestIngestOrdersCountsEachOrderOnce: an order counts once whichever path reported it first,
// and the answer says which orders were new.
func TestIngestOrdersCountsEachOrderOnce(t *testing.T) {
	t.Parallel()
	f := newIngestFixture(t)
	ctx := context.Background()
	a := f.order("legacy", "A", f.p1, f.p2)
	b := f.order("legacy", "B", f.p2)
	orders := func(records ...string) func() []string { return func() []string { return records } }
	for _, step := range []struct {
		name           string
		ndjson         bool
		records        func() []string // run when the step starts, so it may set the scene first
		wantAccepted   int
		wantDuplicates int
	}{
		{name: "new orders are accepted", records: orders(a, b), wantAccepted: 2},
		{name: "the same orders sent again are all duplicates", records: orders(a, b), wantDuplicates: 2},
		{name: "the same orders as NDJSON are duplicates too", ndjson: true, records: orders(b, a), wantDuplicates: 2},
		{name: "an order placed through our checkout is a duplicate", wantDuplicates: 1,
			records: func() []string {
				placed := f.checkoutOrder(f.newCustomer(), map[string]any{"product_id": f.p1, "quantity": 1}).ID
				f.placeOrder(placed)
				return []string{f.order("shopflow", placed, f.p1)}
			}},
		{name: "an order with one line new is accepted, though its other line was counted", wantAccepted: 1,
			records: func() []string {
				if _, err := f.Store.RecordSales(ctx, []store.SaleLine{{Source: "legacy", ExternalOrderID: "C", LineNo: 1,
					OrderedAt: f.at, ProductID: f.p1, Quantity: 1, UnitPriceCents: 1000, Currency: "USD"}}); err != nil {
					t.Fatal(err)
				}
				return []string{f.order("legacy", "C", f.p1, f.p2)}
			}},
		{name: "an order twice in one request counts once: the second is a duplicate",
			records: orders(f.order("legacy", "D", f.p1), f.order("legacy", "D", f.p1)), wantAccepted: 1, wantDuplicates: 1},
		{name: "the same id from another source is another order", records: orders(f.order("other-shop", "A", f.p1)), wantAccepted: 1},
	} {
		got := f.mustIngest(step.ndjson, step.records()...)
		if got.Accepted != step.wantAccepted || got.Duplicates != step.wantDuplicates || len(got.Rejected) != 0 {
			t.Fatalf("%s: %+v; want %d accepted, %d duplicates", step.name, got, step.wantAccepted, step.wantDuplicates)
		}
	}
	// A: 2 lines, B: 1, the checkout's: 1, C: 2 (one counted directly), D: 1, other-shop A: 1.
	if n := f.countRows(`SELECT count(*) FROM sales_facts`); n != 8 {
		t.Fatalf("%d facts, want 8", n)
	}
	if n := f.countRows(`SELECT sum(quantity)::int FROM sales_facts WHERE source = 'legacy' AND external_order_id = 'A'`); n != 3 {
		t.Fatalf("order A counted %d units, want 1 + 2 once", n)
	}
	f.assertRollupMatchesFacts()
}

// TestIngestOrdersConcurrentIdenticalRequests holds two identical requests after each has seen
// every order as new, then lets them race to count: each order must be accepted by exactly one.
func TestIngestOrdersConcurrentIdenticalRequests(t *testing.T) {
	t.Parallel()
	f := newIngestFixture(t)
	const orders = 20
	records := make([]string, orders)
	for i := range records {
		records[i] = f.order("legacy", fmt.Sprintf("race-%02d", i), f.p1, f.p2)
	}
	release := f.holdSaleKeyInserts()
	var wg sync.WaitGroup
	results := make([]response, 2)
	// One request with the admin's token, the other with the ingest key: both paths count.
	requests := []req{ingestRequest(false, records, nil), ingestRequest(true, records, map[string]string{"X-API-Key": f.key})}
	requests[0].Token = f.admin.Token
	for i := range requests {
		wg.Go(func() { results[i] = f.do(requests[i]) })
	}
	f.waitForSaleKeyWaiters(2)
	release()
	wg.Wait()
	var accepted, duplicates int
	for i, res := range results {
		if res.Code != http.StatusOK {
			t.Fatalf("request %d: status %d: %s", i, res.Code, res.Body)
		}
		var got ingestResultBody
		res.JSON(t, &got)
		if got.Accepted+got.Duplicates != orders || len(got.Rejected) != 0 {
			t.Fatalf("request %d: %+v; want every order accepted or duplicate", i, got)
		}
		accepted += got.Accepted
		duplicates += got.Duplicates
	}
	if accepted != orders || duplicates != orders {
		t.Fatalf("accepted %d and duplicates %d in all; want each order accepted by exactly one request (%d, %d)", accepted, duplicates, orders, orders)
	}
	if n := f.countRows(`SELECT count(*) FROM sales_facts`); n != 2*orders {
		t.Fatalf("%d facts, want %d", n, 2*orders)
	}
	f.assertRollupMatchesFacts()
}

// holdSaleKeyInserts blocks inserts into sale_keys (reads go on) until release is called. It
// uses a connection of its own, outside the API's small pool.
func (f *ingestFixture) holdSaleKeyInserts() (release func()) {
	f.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, f.Store.Pool.Config().ConnString())
	if err != nil {
		f.t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err == nil {
		_, err = tx.Exec(ctx, `LOCK TABLE sale_keys IN SHARE MODE`)
	}
	if err != nil {
		conn.Close(ctx)
		f.t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			_ = tx.Rollback(ctx)
			conn.Close(ctx)
		})
	}
	f.t.Cleanup(release)
	return release
}

// waitForSaleKeyWaiters returns once n sessions of this database wait for the sale_keys lock.
func (f *ingestFixture) waitForSaleKeyWaiters(n int) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, f.Store.Pool.Config().ConnString())
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for {
		var waiting int
		err := conn.QueryRow(ctx, `
			SELECT count(*) FROM pg_locks
			WHERE database = (SELECT oid FROM pg_database WHERE datname = current_database())
			  AND relation = 'sale_keys'::regclass AND NOT granted`).Scan(&waiting)
		if err != nil {
			f.t.Fatalf("waiting for %d requests to block on sale_keys: %v", n, err)
		}
		if waiting >= n {
			return
		}
	}
}
