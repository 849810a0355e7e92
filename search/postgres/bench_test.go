package postgres

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shopflow/search"
	"shopflow/search/searchtest"
	"shopflow/store"
	"shopflow/store/storetest"
)

// BenchmarkSearch compares search with facets against the plain product list (GET
// /products?q=, store.ListProducts) on the same mix of distinct queries, and times
// suggestions, on a generated catalog of SHOPFLOW_SEARCH_BENCH_PRODUCTS products (100,000 by
// default). Requests run in parallel; ns/op is the inverse of throughput, p50 and p99 are
// per-request latencies:
//
//	go test ./search/postgres -run '^$' -bench Search -benchtime 2000x
func BenchmarkSearch(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("SHOPFLOW_SEARCH_BENCH_PRODUCTS"))
	if n == 0 {
		n = 100000
	}
	ctx := context.Background()
	pool := storetest.NewPool(b)
	cat, err := searchtest.Generate(ctx, pool, searchtest.Spec{Products: n, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	queries := cat.Queries(500)
	s, st := &Searcher{Pool: pool}, store.New(pool)
	b.Run("search", func(b *testing.B) {
		timeParallel(b, func(i int) error {
			_, err := s.Search(ctx, search.Query{Text: queries[i%len(queries)], Limit: 20})
			return err
		})
	})
	b.Run("list", func(b *testing.B) {
		timeParallel(b, func(i int) error {
			_, err := st.ListProducts(ctx, store.ProductFilter{Query: queries[i%len(queries)], Limit: 20})
			return err
		})
	})
	b.Run("suggest", func(b *testing.B) {
		timeParallel(b, func(i int) error {
			q := queries[i%len(queries)]
			_, err := s.Suggest(ctx, q[:min(len(q), 1+i%6)], 10)
			return err
		})
	})
}

// timeParallel runs do b.N times over parallel goroutines and reports latency percentiles.
func timeParallel(b *testing.B, do func(i int) error) {
	var next atomic.Int64
	var mu sync.Mutex
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1))
			start := time.Now()
			if err := do(i); err != nil {
				b.Error(err)
				return
			}
			d := time.Since(start)
			mu.Lock()
			took = append(took, d)
			mu.Unlock()
		}
	})
	b.StopTimer()
	slices.Sort(took)
	if len(took) > 0 {
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	}
}
