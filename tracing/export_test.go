package tracing

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// collector is an OTLP/gRPC trace receiver on a loopback port, standing in for the OpenTelemetry
// Collector, Jaeger or Tempo.
type collector struct {
	collectortrace.UnimplementedTraceServiceServer
	mu       sync.Mutex
	requests []*collectortrace.ExportTraceServiceRequest
}

func (c *collector) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, req)
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func startCollector(t *testing.T) (*collector, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, c)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return c, ln.Addr().String()
}

// Spans reach the collector at SHOPFLOW_OTLP_ENDPOINT, named for SHOPFLOW_SERVICE_NAME, by the
// time shutdown returns.
func TestSetupExportsSpansToTheCollector(t *testing.T) {
	c, addr := startCollector(t)
	for _, endpoint := range []string{addr, "http://" + addr} {
		c.mu.Lock()
		c.requests = nil
		c.mu.Unlock()
		environ := []string{"SHOPFLOW_OTLP_ENDPOINT=" + endpoint, "SHOPFLOW_SERVICE_NAME=shopflow-worker"}
		if !strings.Contains(endpoint, "://") {
			environ = append(environ, "SHOPFLOW_OTLP_INSECURE=true")
		}
		tp, shutdown, err := Setup(context.Background(), loadTracing(t, environ...))
		if err != nil {
			t.Fatal(err)
		}
		_, span := tp.Tracer("test").Start(context.Background(), "RunActivity:ConfirmOrder")
		span.End()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := shutdown(ctx); err != nil {
			t.Fatalf("%s: shutdown: %v", endpoint, err)
		}
		cancel()

		c.mu.Lock()
		var names, services []string
		for _, req := range c.requests {
			for _, rs := range req.GetResourceSpans() {
				for _, kv := range rs.GetResource().GetAttributes() {
					if kv.GetKey() == "service.name" {
						services = append(services, kv.GetValue().GetStringValue())
					}
				}
				for _, ss := range rs.GetScopeSpans() {
					for _, s := range ss.GetSpans() {
						names = append(names, s.GetName())
					}
				}
			}
		}
		c.mu.Unlock()
		if strings.Join(names, ",") != "RunActivity:ConfirmOrder" || strings.Join(services, ",") != "shopflow-worker" {
			t.Errorf("%s: collector received spans %v of services %v, want RunActivity:ConfirmOrder of shopflow-worker",
				endpoint, names, services)
		}
	}
}

// The SDK's own errors become warnings in our log, not plain text on stderr.
func TestLogExportErrorsLogsAsWarnings(t *testing.T) {
	before := otel.GetErrorHandler()
	t.Cleanup(func() { otel.SetErrorHandler(before) })
	var buf bytes.Buffer
	LogExportErrors(slog.New(slog.NewJSONHandler(&buf, nil)))
	otel.Handle(errors.New("collector unreachable"))
	if out := buf.String(); !strings.Contains(out, `"level":"WARN"`) || !strings.Contains(out, "collector unreachable") {
		t.Errorf("log %q, want a warning naming the error", out)
	}
}
