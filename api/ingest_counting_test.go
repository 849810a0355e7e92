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
	conn, err := pgx.ConnectConfig(ctx, f.Store.Pool.Config().ConnConfig.Copy())
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
	conn, err := pgx.ConnectConfig(ctx, f.Store.Pool.Config().ConnConfig.Copy())
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
