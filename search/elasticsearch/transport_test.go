package elasticsearch

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/typedapi/types"

	"shopflow/search"
	"shopflow/search/elasticsearch/estest"
)

func TestElasticsearchErrorsBecomeGoErrors(t *testing.T) {
	tests := []struct {
		status          int
		errType, reason string
	}{
		{http.StatusBadRequest, "parsing_exception", "[multi_match] unknown token [START_ARRAY] after [query]"},
		{http.StatusTooManyRequests, "es_rejected_execution_exception", "rejected execution of search"},
		{http.StatusForbidden, "security_exception", "action [indices:data/read/search] is unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.errType, func(t *testing.T) {
			e, srv := newTestEngine(t)
			liveIndex(t, e, catalog()...)
			srv.FailNext(1, tt.status, tt.errType, tt.reason)

			_, err := e.Search(context.Background(), search.Query{Text: "laptop", Limit: 10})
			if err == nil {
				t.Fatal("Search succeeded, want an error")
			}
			for _, part := range []string{"elasticsearch search", tt.errType, tt.reason} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
			var esErr *types.ElasticsearchError
			if !errors.As(err, &esErr) || esErr.Status != tt.status {
				t.Errorf("error %v does not carry status %d", err, tt.status)
			}
		})
	}
}

func TestUnavailableNodesAreRetried(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e, catalog()...)

	srv.FailNext(1, http.StatusServiceUnavailable, "cluster_block_exception", "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered]")
	if _, err := e.Search(context.Background(), search.Query{Limit: 10}); err != nil {
		t.Errorf("one 503 then success: %v, want the retry to succeed", err)
	}
	srv.FailNext(10, http.StatusServiceUnavailable, "cluster_block_exception", "state not recovered")
	_, err := e.Search(context.Background(), search.Query{Limit: 10})
	if err == nil || !strings.Contains(err.Error(), "cluster_block_exception") {
		t.Errorf("persistent 503: %v, want cluster_block_exception", err)
	}
}

func TestTimeoutIsHonoured(t *testing.T) {
	srv := estest.New(t)
	e := engineFor(t, Config{URLs: []string{srv.URL()}, IndexPrefix: "test_", Timeout: 100 * time.Millisecond})
	liveIndex(t, e, catalog()...)
	srv.Delay(5 * time.Second)
	defer srv.Delay(0)

	start := time.Now()
	_, err := e.Search(context.Background(), search.Query{Limit: 10})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a deadline error", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Search took %v with a 100ms timeout", took)
	}
	if n := countPaths(srv, "/test_products/_search"); n != 1 {
		t.Errorf("%d search attempts, want 1: a request out of time is not retried", n)
	}
}

func TestCallerContextIsHonoured(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e, catalog()...)
	srv.Delay(5 * time.Second)
	defer srv.Delay(0)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	start := time.Now()
	if _, err := e.Suggest(ctx, "lap", 5); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the caller's deadline", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Suggest took %v after the caller's 50ms deadline", took)
	}
}

func TestDeadNodeIsSkipped(t *testing.T) {
	live := estest.New(t)
	dead := live.AddNode(t)
	dead.Close()
	tried := &hostRecorder{}
	e := engineFor(t, Config{URLs: []string{dead.URL(), live.URL()}, IndexPrefix: "test_", Transport: tried})
	liveIndex(t, e, catalog()...)

	for i := 0; i < 4; i++ {
		if _, err := e.Search(context.Background(), search.Query{Limit: 10}); err != nil {
			t.Fatalf("search %d with one dead node: %v", i, err)
		}
	}
	for _, r := range live.Requests() {
		if r.Node != live.URL() {
			t.Errorf("request %s %s answered by %s, want only the live node", r.Method, r.Path, r.Node)
		}
	}
	if err := e.Ping(context.Background()); err != nil {
		t.Errorf("Ping with one live node: %v", err)
	}
	if !tried.sawHost(strings.TrimPrefix(dead.URL(), "http://")) {
		t.Error("the dead node was never tried, so nothing was retried")
	}
}

// hostRecorder is an HTTP transport that remembers which hosts it was asked to reach.
type hostRecorder struct {
	mu    sync.Mutex
	hosts []string
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (h *hostRecorder) sawHost(host string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Contains(h.hosts, host)
}

func TestPingFailsWhenEveryNodeIsDown(t *testing.T) {
	srv := estest.New(t)
	e := engineFor(t, Config{URLs: []string{srv.URL()}, Timeout: time.Second})
	if err := e.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	srv.Close()
	if err := e.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "elasticsearch ping") {
		t.Errorf("Ping of a dead cluster = %v, want an error", err)
	}
}

// countPaths counts the requests to path.
func countPaths(srv *estest.Server, path string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}
