package postgres

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/search"
	"shopflow/search/searchtest"
	"shopflow/store/storetest"
)

// TestExplain measures the search and suggest statements on a generated catalog of
// SHOPFLOW_SEARCH_EXPLAIN products (say 100000): EXPLAIN ANALYZE of typical queries, then the
// latency spread of a mix of distinct queries. It only logs; run it with -v:
//
//	SHOPFLOW_SEARCH_EXPLAIN=100000 go test ./search/postgres -run TestExplain -v
func TestExplain(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SHOPFLOW_SEARCH_EXPLAIN"))
	if n == 0 {
		t.Skip("set SHOPFLOW_SEARCH_EXPLAIN to a catalog size to measure")
	}
	ctx := context.Background()
	pool := storetest.NewPool(t)
	cat, err := searchtest.Generate(ctx, pool, searchtest.Spec{Products: n, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	lo, hi, yes := int64(5000), int64(50000), true
	cases := []struct {
		name string
		q    search.Query
	}{
		{"common word", search.Query{Text: "black", Limit: 20}},
		{"rare word", search.Query{Text: "kestrel", Limit: 20}},
		{"two words", search.Query{Text: "sony tv", Limit: 20}},
		{"no text, category", search.Query{CategoryID: cat.Categories["Electronics"], Limit: 20}},
		{"no text, nothing", search.Query{Limit: 20}},
		{"filters", search.Query{Text: "laptop", MinPrice: &lo, MaxPrice: &hi, InStock: &yes,
			Attributes: map[string][]string{"brand": {"Lenovo", "Dell"}, "color": {"black"}}, Sort: search.SortPriceAsc, Limit: 20}},
	}
	for _, c := range cases {
		sql, args := searchSQL(c.q, splitWords(c.q.Text))
		t.Logf("%s:\n%s", c.name, explain(t, pool, sql, args))
	}
	for _, prefix := range []string{"s", "lap", "kestrel", "sony bra"} {
		t.Logf("suggest %q:\n%s", prefix, explain(t, pool, suggestSQL, suggestArgs(splitWords(prefix), 10)))
	}

	s := &Searcher{Pool: pool}
	queries := cat.Queries(300)
	t.Logf("search, %d distinct queries: %s", len(queries), latencies(func(i int) error {
		_, err := s.Search(ctx, search.Query{Text: queries[i%len(queries)], Limit: 20})
		return err
	}, 3*len(queries)))
	t.Logf("suggest, %d prefixes: %s", len(queries), latencies(func(i int) error {
		q := queries[i%len(queries)]
		_, err := s.Suggest(ctx, q[:min(len(q), 1+i%5)], 10)
		return err
	}, 3*len(queries)))
}

// explain runs EXPLAIN ANALYZE as searches run, with JIT off.
func explain(t *testing.T, pool *pgxpool.Pool, sql string, args []any) string {
	t.Helper()
	var lines []string
	err := queryLocal(context.Background(), pool, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args, func(rows pgx.Rows) error {
		var err error
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	}, searchSettings()...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// latencies runs do n times and reports the median, p99 and max.
func latencies(do func(i int) error, n int) string {
	took := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		if err := do(i); err != nil {
			return err.Error()
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return "p50 " + took[n/2].String() + ", p99 " + took[n*99/100].String() + ", max " + took[n-1].String()
}
