package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/search/searchtest"
)

// searchLoad is shoppers searching steadily until stopped.
type searchLoad struct {
	stopped chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	stats   searchLoadStats
}

// searchLoadStats is what a search load saw.
type searchLoadStats struct {
	requests int
	backends map[string]int // who answered the 200s
	failures []string       // every answer that was not a 200 page
}

// startSearchLoad runs shoppers goroutines, each searching the queries in turn, filtered and
// sorted a few ways, back to back.
func startSearchLoad(e *env, shoppers int, queries []string) *searchLoad {
	l := &searchLoad{stopped: make(chan struct{}), stats: searchLoadStats{backends: map[string]int{}}}
	sorts := []string{"relevance", "price", "-price", "newest"}
	for s := range shoppers {
		l.wg.Go(func() {
			for i := s; ; i++ {
				select {
				case <-l.stopped:
					return
				default:
				}
				q := url.Values{"q": {queries[i%len(queries)]}, "sort": {sorts[i%len(sorts)]}}
				if i%3 == 0 {
					q.Set("in_stock", "true")
				}
				_, p, err := e.search(q)
				l.mu.Lock()
				l.stats.requests++
				if err != nil {
					l.stats.failures = append(l.stats.failures, err.Error())
				} else {
					l.stats.backends[p.Backend]++
				}
				l.mu.Unlock()
			}
		})
	}
	return l
}

// stop ends the load and returns what it saw.
func (l *searchLoad) stop() searchLoadStats {
	close(l.stopped)
	l.wg.Wait()
	return l.stats
}

// priceChanges are price changes made in the background.
type priceChanges struct {
	wg    sync.WaitGroup
	err   error
	final map[int64]int64 // each product's last price
	at    []time.Time     // when each change had committed (its PATCH answered)
}

// startPriceChanges changes each product's price rounds times through the API as who, one
// product after the other, in the background.
func startPriceChanges(e *env, who account, products []int64, rounds int) *priceChanges {
	c := &priceChanges{final: map[int64]int64{}}
	c.wg.Go(func() {
		for round := range int64(rounds) {
			for _, p := range products {
				price := 100000 + 100*round + p%100
				code, body, err := e.send(request{method: "PATCH", path: fmt.Sprintf("/api/v1/products/%d", p), token: who.Token,
					body: map[string]int64{"price_cents": price}})
				if err == nil && code != http.StatusOK {
					err = fmt.Errorf("PATCH product %d: status %d: %s", p, code, body)
				}
				if err != nil {
					c.err = err
					return
				}
				c.final[p] = price
				c.at = append(c.at, time.Now())
			}
		}
	})
	return c
}

// wait waits for the changes to be made and fails the test if one failed.
func (c *priceChanges) wait(t *testing.T) *priceChanges {
	t.Helper()
	c.wg.Wait()
	if c.err != nil {
		t.Error(c.err)
	}
	return c
}

// during counts the changes that had committed within [from, to].
func (c *priceChanges) during(from, to time.Time) int {
	n := 0
	for _, at := range c.at {
		if !at.Before(from) && !at.After(to) {
			n++
		}
	}
	return n
}

// generateCatalog loads a generated catalog of n products (and a few anchors) into the test's
// database, as the search packages' tests do.
func (e *env) generateCatalog(ctx context.Context, n int) searchtest.Catalog {
	e.t.Helper()
	cat, err := searchtest.Generate(ctx, e.db, searchtest.Spec{Products: n, Seed: 42})
	if err != nil {
		e.t.Fatal(err)
	}
	return cat
}

// int64s runs a query of one bigint column.
func (e *env) int64s(query string, args ...any) []int64 {
	e.t.Helper()
	rows, err := e.db.Query(context.Background(), query, args...)
	if err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return out
}

// fallbacks is shopflow_search_fallbacks_total on the API's /metrics, summed over operations.
func (e *env) fallbacks() float64 {
	e.t.Helper()
	code, body, err := e.send(request{method: "GET", path: "/metrics"})
	if err != nil || code != http.StatusOK {
		e.t.Fatalf("GET /metrics: %d %v", code, err)
	}
	var sum float64
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "shopflow_search_fallbacks_total") {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			e.t.Fatalf("/metrics: %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

// head is at most the first n of s.
func head(s []string, n int) []string { return s[:min(n, len(s))] }
