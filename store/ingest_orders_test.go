package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"shopflow/store"
)

// TestIngestRecordSalesPerLine: each line is credited to the call that counted it, a key
// repeated within one call to its first line only (whose data is what is counted), and a key
// counted before by any path to no one.
func TestIngestRecordSalesPerLine(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 500, 100)
	at := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	line := func(order string, no, qty int) store.SaleLine {
		return store.SaleLine{Source: "legacy", ExternalOrderID: order, LineNo: no, OrderedAt: at, ProductID: p, Quantity: qty, UnitPriceCents: 500, Currency: "USD"}
	}
	if _, err := f.st.RecordSales(ctx, []store.SaleLine{line("OLD", 1, 1)}); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.RecordSalesPerLine(ctx, []store.SaleLine{
		line("A", 1, 2),   // new
		line("OLD", 1, 1), // counted before
		line("A", 2, 3),   // new
		line("A", 1, 9),   // repeats the first line's key: not credited, not what is counted
	})
	if want := []bool{true, false, true, false}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("RecordSalesPerLine = %v, %v; want %v", got, err, want)
	}
	if n := f.count(`SELECT quantity FROM sales_facts WHERE external_order_id = 'A' AND line_no = 1`); n != 2 {
		t.Fatalf("A line 1 counted with quantity %d, want the first submission's 2", n)
	}
	again, err := f.st.RecordSalesPerLine(ctx, []store.SaleLine{line("A", 1, 2), line("A", 2, 3)})
	if err != nil || slices.Contains(again, true) {
		t.Fatalf("second submission = %v, %v; want nothing counted", again, err)
	}
	if n := f.count(`SELECT units::int FROM sales_hourly WHERE product_id = $1`, p); n != 6 {
		t.Fatalf("rollup units = %d, want 1 + 2 + 3", n)
	}
	if got, err := f.st.RecordSalesPerLine(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("no lines: %v, %v", got, err)
	}
}

// TestIngestRecordSalesPerLineRace holds both calls after their first look at sale_keys, so
// each sees every key as new before either counts: the one that loses the insert must not take
// the credit (a plain before/after comparison would credit both).
func TestIngestRecordSalesPerLineRace(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 8)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 500, 100)
	at := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	var lines []store.SaleLine
	for i := range 10 {
		lines = append(lines, store.SaleLine{Source: "legacy", ExternalOrderID: "R-" + string(rune('a'+i)), LineNo: 1, OrderedAt: at,
			ProductID: p, Quantity: 1, UnitPriceCents: 500, Currency: "USD"})
	}
	release := holdSaleKeyInserts(t, f.st)
	var wg sync.WaitGroup
	results := make([][]bool, 2)
	for i := range results {
		wg.Go(func() {
			var err error
			if results[i], err = f.st.RecordSalesPerLine(ctx, lines); err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		})
	}
	waitForSaleKeyWaiters(t, f.st, 2)
	release()
	wg.Wait()
	if t.Failed() {
		return
	}
	for i := range lines {
		if results[0][i] == results[1][i] {
			t.Errorf("line %d: credited %v and %v; want exactly one call to count it", i, results[0][i], results[1][i])
		}
	}
	if n := f.count(`SELECT count(*) FROM sales_facts`); n != len(lines) {
		t.Fatalf("%d facts, want %d", n, len(lines))
	}
}

func TestIngestExistingProducts(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 2)
	ctx := context.Background()
	active := f.product(f.sellerA, "active", "USD", 500, 1)
	archived := f.product(f.sellerA, "archived", "USD", 500, 1)
	got, err := f.st.ExistingProducts(ctx, []int64{active, archived, archived + 1000})
	if err != nil || !got[active] || !got[archived] || got[archived+1000] || len(got) != 2 {
		t.Fatalf("ExistingProducts = %v, %v; want the active and the archived product only", got, err)
	}
	if got, err := f.st.ExistingProducts(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("no ids: %v, %v", got, err)
	}
}

// holdSaleKeyInserts blocks every insert into sale_keys (reads go on) until release is called.
func holdSaleKeyInserts(t *testing.T, st *store.Store) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := st.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE sale_keys IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { _ = tx.Rollback(ctx) }) }
	t.Cleanup(release)
	return release
}

// waitForSaleKeyWaiters returns once n sessions of this database wait for the sale_keys lock.
func waitForSaleKeyWaiters(t *testing.T, st *store.Store, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		var waiting int
		err := st.Pool.QueryRow(ctx, `
			SELECT count(*) FROM pg_locks
			WHERE database = (SELECT oid FROM pg_database WHERE datname = current_database())
			  AND relation = 'sale_keys'::regclass AND NOT granted`).Scan(&waiting)
		if err != nil {
			t.Fatalf("waiting for %d sessions to block on sale_keys: %v", n, err)
		}
		if waiting >= n {
			return
		}
	}
}
