package worker

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"shopflow/config"
	"shopflow/store"
	"shopflow/store/storetest"
)

// fakeTemporal answers CheckHealth with err; nothing else is called.
type fakeTemporal struct {
	client.Client
	err error
}

func (f fakeTemporal) CheckHealth(context.Context, *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	return &client.CheckHealthResponse{}, f.err
}

func healthDeps(t *testing.T, temporal client.Client) Deps {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts, err := ClientOptions(config.Config{TemporalAddress: "127.0.0.1:1", TemporalNamespace: "default"}, slog.New(slog.DiscardHandler), reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One SDK metric, as a running worker records them, so the scrape shows temporal_ series.
	opts.MetricsHandler.Counter("temporal_worker_start").Inc(1) // the SDK's name for it
	return Deps{Config: config.Config{TaskQueue: "shopflow", QueueConfig: config.QueueConfig{BatchTaskQueue: "shopflow-batch"}, MetricsConfig: config.MetricsConfig{WorkerHTTPAddr: "127.0.0.1:0"}},
		Client: temporal, Registry: reg, Logger: slog.New(slog.DiscardHandler), Queues: []string{config.QueueCheckout, config.QueueBatch},
		Store: store.New(storetest.NewPool(t))}
}

// /healthz says whether this worker can work: 200 with its queues while Temporal answers,
// 503 with the reason when it does not or when the worker is draining.
func TestHealthz(t *testing.T) {
	for _, tc := range []struct {
		name     string
		temporal client.Client
		stopping bool
		code     int
		status   string
		reason   string
	}{
		{"temporal answers", fakeTemporal{}, false, http.StatusOK, "ok", ""},
		{"temporal down", fakeTemporal{err: errors.New("connection refused")}, false, http.StatusServiceUnavailable, "unavailable", "connection refused"},
		{"no client", nil, false, http.StatusServiceUnavailable, "unavailable", "no Temporal client"},
		{"draining", fakeTemporal{}, true, http.StatusServiceUnavailable, "stopping", "draining"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Deps{Config: config.Config{TaskQueue: "shopflow", QueueConfig: config.QueueConfig{BatchTaskQueue: "shopflow-batch"}}, Client: tc.temporal,
				Queues: []string{config.QueueBatch}, Registry: prometheus.NewRegistry()}
			h := newHealthHandler(d)
			h.stopping.Store(tc.stopping)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			var got healthReport
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if rec.Code != tc.code || got.Status != tc.status || !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("got %d %+v, want %d status %s reason containing %q", rec.Code, got, tc.code, tc.status, tc.reason)
			}
			if !slices.Equal(got.Queues, []string{"shopflow-batch"}) {
				t.Errorf("queues %v, want [shopflow-batch]", got.Queues)
			}
		})
	}
}

// The worker's server shows the SDK's metrics and Shopflow's on /metrics, answers /healthz,
// and stops when its context ends, taking its gauges out of the registry so that a worker run
// again in the same process can register them again.
func TestHealthServerServesMetricsAndStops(t *testing.T) {
	d := healthDeps(t, fakeTemporal{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveHealthOn(ctx, d, ln) }()
	base := "http://" + ln.Addr().String()

	body := httpGet(t, base+"/metrics", http.StatusOK)
	for _, want := range []string{"temporal_worker_start_total", "shopflow_checkout_stuck_sagas{status=\"pending\"} 0",
		"shopflow_ingest_batches_unfinished{status=\"queued\"} 0", "shopflow_collector_up{collector=\"stuck_sagas\"} 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%.2000s", want, body)
		}
	}
	if body := httpGet(t, base+"/healthz", http.StatusOK); !strings.Contains(body, `"queues":["shopflow","shopflow-batch"]`) {
		t.Errorf("/healthz %s", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serveHealth: %v", err)
		}
	case <-time.After(3 * time.Second): // well within its 5 s shutdown bound: idle probes do not hold it
		t.Fatal("serveHealth did not stop")
	}
	if err := d.Registry.Register(NewBusinessCollector(d)); err != nil {
		t.Errorf("gauges still registered after the server stopped: %v", err)
	}
}

// An empty SHOPFLOW_WORKER_HTTP_ADDR serves nothing and returns at once.
func TestHealthServerOffWhenNoAddress(t *testing.T) {
	if err := serveHealth(context.Background(), Deps{}); err != nil {
		t.Fatal(err)
	}
}

func httpGet(t *testing.T, url string, want int) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d %s, want %d", url, res.StatusCode, b, want)
	}
	return string(b)
}
