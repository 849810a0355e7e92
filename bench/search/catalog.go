package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"shopflow/app"
	"shopflow/ranking"
	"shopflow/search/searchtest"
)

// prepareCatalog generates the catalog, gives its products sales and publishes the ranking,
// and draws the workload from the catalog.
func prepareCatalog(ctx context.Context, a *app.App, o options, out io.Writer) (workload, error) {
	var cat searchtest.Catalog
	err := withProgress(out, fmt.Sprintf("generating a catalog of %d products", o.Products), func() error {
		var err error
		cat, err = searchtest.Generate(ctx, a.Pool, searchtest.Spec{Products: o.Products, Seed: o.Seed})
		return err
	})
	if err != nil {
		return workload{}, err
	}
	w := workload{Queries: cat.Queries(o.Queries), TopSellersCategory: cat.Categories["Electronics"]}
	if len(w.Queries) < o.Popular || w.TopSellersCategory == 0 {
		return workload{}, fmt.Errorf("the catalog gave %d queries (fewer than --popular %d) or no Electronics category", len(w.Queries), o.Popular)
	}
	w.Prefixes = typedPrefixes(w.Queries)
	w.Popular = w.Queries[:o.Popular]
	err = withProgress(out, "ranking the catalog's sales and publishing the ranking", func() error {
		return publishRanking(ctx, a)
	})
	return w, err
}

// publishRanking records each product's units sold (searchtest's search stats) as sales in
// the last hour of the window, then ranks them and publishes the ranking to Redis as the
// hourly job does, so the top-sellers endpoint serves a full ranking of this catalog.
func publishRanking(ctx context.Context, a *app.App) error {
	end := time.Now().UTC().Truncate(time.Hour)
	_, err := a.Pool.Exec(ctx, `
		INSERT INTO sales_hourly (hour, product_id, currency, category_id, seller_id, units, revenue_cents, lines)
		SELECT $1, p.id, p.currency, p.category_id, p.seller_id, st.units_sold, st.units_sold * p.price_cents, st.units_sold
		FROM product_search_stats st JOIN products p ON p.id = st.product_id
		WHERE st.units_sold > 0`, end.Add(-time.Hour))
	if err != nil {
		return fmt.Errorf("record the catalog's sales: %w", err)
	}
	if _, err := a.Pool.Exec(ctx, `ANALYZE sales_hourly`); err != nil {
		return fmt.Errorf("analyze sales_hourly: %w", err)
	}
	r, err := ranking.Compute(ctx, a.Pool, ranking.WindowEnding(end, a.Config.TopSellersWindow), a.Config.TopSellersN)
	if err != nil {
		return err
	}
	_, err = ranking.Publish(ctx, a.Redis, a.Config.RedisPrefix, r)
	return err
}

// withProgress runs step, saying when it starts, every 10 seconds while it runs, and how long
// it took.
func withProgress(out io.Writer, step string, f func() error) error {
	started := time.Now()
	fmt.Fprintf(out, "search bench: %s\n", step)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(out, "  still %s, %s\n", step, time.Since(started).Round(time.Second))
			}
		}
	}()
	err := f()
	close(done)
	<-stopped
	if err != nil {
		return fmt.Errorf("%s: %w", step, err)
	}
	fmt.Fprintf(out, "  done in %s\n", time.Since(started).Round(100*time.Millisecond))
	return nil
}
