package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"shopflow/store"
)

// TestRecordSalesCountsOnceAcrossPaths: the same order reported by the checkout, the ingest API
// and a file counts once, and the hourly rollup always equals the raw facts.
func TestRecordSalesCountsOnceAcrossPaths(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 8)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 500, 100)
	q := f.product(f.sellerB, "active", "USD", 300, 100)
	placed := f.placed(store.OrderItem{ProductID: p, Quantity: 2})
	at := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	lines := []store.SaleLine{
		// The checkout's own order, reported again by the ingest path: a duplicate.
		{Source: "shopflow", ExternalOrderID: placed.ID, LineNo: 1, OrderedAt: at, ProductID: p, Quantity: 2, UnitPriceCents: 500, Currency: "USD"},
		{Source: "legacy", ExternalOrderID: "A-1", LineNo: 1, OrderedAt: at, ProductID: p, Quantity: 3, UnitPriceCents: 500, Currency: "USD"},
		{Source: "legacy", ExternalOrderID: "A-1", LineNo: 2, OrderedAt: at, ProductID: q, Quantity: 1, UnitPriceCents: 300, Currency: "USD"},
		// The same line twice in one submission counts once.
		{Source: "legacy", ExternalOrderID: "A-1", LineNo: 2, OrderedAt: at, ProductID: q, Quantity: 1, UnitPriceCents: 300, Currency: "USD"},
	}
	got, err := f.st.RecordSales(ctx, lines)
	if err != nil || got.Counted != 2 || got.Duplicates != 2 {
		t.Fatalf("first submission: %+v %v; want 2 counted, 2 duplicates", got, err)
	}
	// Resubmitted concurrently by two paths: nothing more is counted.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if got, err := f.st.RecordSales(ctx, lines); err != nil || got.Counted != 0 {
				t.Errorf("resubmission: %+v %v", got, err)
			}
		})
	}
	wg.Wait()
	if n := f.count(`SELECT count(*) FROM sales_facts`); n != 3 {
		t.Fatalf("%d facts, want 3 (1 checkout line + 2 legacy lines)", n)
	}
	if n := f.count(`SELECT count(*) FROM sale_keys`); n != 3 {
		t.Fatalf("%d keys, want 3", n)
	}
	// The rollup matches an independent computation over the raw facts, hour by hour.
	if n := f.count(`
		SELECT count(*) FROM (
			SELECT date_trunc('hour', ordered_at) AS hour, product_id, currency, sum(quantity) AS units,
			       sum(quantity * unit_price_cents) AS revenue, count(*) AS lines
			FROM sales_facts GROUP BY 1, 2, 3
			EXCEPT
			SELECT hour, product_id, currency, units, revenue_cents, lines FROM sales_hourly) diff`); n != 0 {
		t.Fatalf("%d rollup rows differ from the facts", n)
	}
	if n := f.count(`SELECT units::int FROM sales_hourly WHERE product_id = $1 AND hour = $2`, p, at.Truncate(time.Hour)); n != 3 {
		t.Fatalf("product p units in 10:00 = %d, want 3", n)
	}
}

// Lines that are each within the ingest limits can add up past what an hourly total holds. The
// total saturates instead of failing, so later sales of the product in that hour (checkout
// included) still count.
func TestHourlyRevenueSaturatesInsteadOfFailing(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 2)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 500, 100)
	at := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	var lines []store.SaleLine
	for i := range 3 {
		// 1,000,000 x 10^13 = 10^19 minor units per line: past int64 on its own.
		lines = append(lines, store.SaleLine{Source: "legacy", ExternalOrderID: "big", LineNo: i + 1, OrderedAt: at,
			ProductID: p, Quantity: 1_000_000, UnitPriceCents: 10_000_000_000_000, Currency: "USD"})
	}
	if got, err := f.st.RecordSales(ctx, lines[:2]); err != nil || got.Counted != 2 {
		t.Fatalf("first lines: %+v %v", got, err)
	}
	if got, err := f.st.RecordSales(ctx, lines[2:]); err != nil || got.Counted != 1 {
		t.Fatalf("a later line into the saturated hour: %+v %v", got, err)
	}
	var revenue int64
	if err := f.st.Pool.QueryRow(ctx, `SELECT revenue_cents FROM sales_hourly WHERE product_id = $1`, p).Scan(&revenue); err != nil {
		t.Fatal(err)
	}
	if revenue != 9223372036854775807 {
		t.Errorf("hourly revenue %d, want the int64 maximum", revenue)
	}
}
