package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"shopflow/store"
)

// TestAnalyticsCountsAnOrderOnceUnderConcurrentCounts counts the lines of one order in many
// transactions at once, each line in its own, products of two sellers repeated across lines:
// the order must count once per product, once per seller and once for the platform.
func TestAnalyticsCountsAnOrderOnceUnderConcurrentCounts(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 8)
	ctx := context.Background()
	products := []int64{
		f.product(f.sellerA, "active", "USD", 100, 1000), f.product(f.sellerA, "active", "USD", 200, 1000),
		f.product(f.sellerB, "active", "USD", 300, 1000),
	}
	sellers := []string{f.sellerA, f.sellerB}
	when := time.Date(2026, 3, 2, 10, 15, 0, 0, time.UTC)
	const lines = 24
	var wg sync.WaitGroup
	errc := make(chan error, lines)
	for i := range lines {
		wg.Go(func() {
			_, err := f.st.RecordSales(ctx, []store.SaleLine{{Source: "legacy", ExternalOrderID: "CONC-1", LineNo: i + 1,
				OrderedAt: when, ProductID: products[i%len(products)], Quantity: 1, UnitPriceCents: 10, Currency: "USD"}})
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		what, sql string
		arg       any
		want      int64
	}{
		{"product orders", `SELECT coalesce(sum(orders), 0) FROM sales_hourly WHERE product_id = ANY($1)`, products, int64(len(products))},
		{"seller orders", `SELECT coalesce(sum(orders), 0) FROM seller_sales_hourly WHERE seller_id::text = ANY($1)`, sellers, 2},
		{"platform orders", `SELECT coalesce(sum(platform_orders), 0) FROM seller_sales_hourly WHERE seller_id::text = ANY($1)`, sellers, 1},
		{"lines", `SELECT coalesce(sum(lines), 0) FROM sales_hourly WHERE product_id = ANY($1)`, products, lines},
	} {
		var got int64
		if err := f.st.Pool.QueryRow(ctx, c.sql, c.arg).Scan(&got); err != nil {
			t.Fatal(fmt.Errorf("%s: %w", c.what, err))
		}
		if got != c.want {
			t.Errorf("%s: %d, want %d", c.what, got, c.want)
		}
	}
}
