package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"

	"shopflow/config"
)

// healthProbeTimeout bounds /healthz's call to Temporal: an orchestrator's probe must get an
// answer, and a frontend that takes longer than this is not one a worker can poll.
const healthProbeTimeout = 2 * time.Second

// serveHealth serves the worker's /metrics and /healthz on SHOPFLOW_WORKER_HTTP_ADDR until ctx
// is done. The API has its own; a worker-only process has nothing else an orchestrator or
// Prometheus could reach.
func serveHealth(ctx context.Context, d Deps) error {
	addr := d.Config.WorkerHTTPAddr
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("worker /metrics and /healthz on %s: %w", addr, err)
	}
	return serveHealthOn(ctx, d, ln)
}

// serveHealthOn serves on ln, registering the business gauges in d.Registry for as long as
// it serves (so a second Run on the same registry, as tests and benchmarks do, can register
// them again).
func serveHealthOn(ctx context.Context, d Deps, ln net.Listener) error {
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if d.Store != nil {
		c := NewBusinessCollector(d)
		if err := d.Registry.Register(c); err != nil {
			ln.Close()
			return fmt.Errorf("register business metrics: %w", err)
		}
		defer d.Registry.Unregister(c)
	}
	h := newHealthHandler(d)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		h.stopping.Store(true) // probes see the drain before the listener goes
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	d.Logger.Info("worker /metrics and /healthz listening", "addr", ln.Addr().String())
	err := srv.Serve(ln)
	<-stopped
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("worker /metrics and /healthz on %s: %w", ln.Addr(), err)
}

// healthHandler answers /metrics from the process's registry and /healthz from Temporal.
type healthHandler struct {
	http.Handler
	temporal client.Client
	queues   []string
	stopping atomic.Bool
}

func newHealthHandler(d Deps) *healthHandler {
	h := &healthHandler{temporal: d.Client, queues: healthQueueNames(d.Config, d.Queues)}
	reg := d.Registry
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", h.healthz)
	h.Handler = mux
	return h
}

// healthReport is /healthz's body.
type healthReport struct {
	Status string   `json:"status"`
	Queues []string `json:"queues"`
	Reason string   `json:"reason,omitempty"`
}

// healthz is 200 while the worker runs and Temporal answers, 503 with the reason otherwise: a
// worker that cannot reach its frontend polls nothing, and restarting it may be what helps.
func (h *healthHandler) healthz(w http.ResponseWriter, r *http.Request) {
	report, code := healthReport{Status: "ok", Queues: h.queues}, http.StatusOK
	switch {
	case h.stopping.Load():
		report.Status, report.Reason, code = "stopping", "the worker is draining", http.StatusServiceUnavailable
	case h.temporal == nil:
		report.Status, report.Reason, code = "unavailable", "no Temporal client", http.StatusServiceUnavailable
	default:
		ctx, cancel := context.WithTimeout(r.Context(), healthProbeTimeout)
		defer cancel()
		if _, err := h.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			report.Status, report.Reason, code = "unavailable", "temporal: "+err.Error(), http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(report)
}

// healthQueueNames are the task queue names behind the roles a process serves (both when none
// are named, as the worker does).
func healthQueueNames(cfg config.Config, roles []string) []string {
	if len(roles) == 0 {
		roles = []string{config.QueueCheckout, config.QueueBatch}
	}
	names := []string{}
	for _, role := range roles {
		names = append(names, cfg.QueueName(role))
	}
	return names
}
