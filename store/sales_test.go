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
