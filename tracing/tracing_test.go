package tracing

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"shopflow/config"
)

// Without SHOPFLOW_OTLP_ENDPOINT nothing is exported and nothing is instrumented: Setup answers
// with the no-op provider, which Enabled reports as off.
func TestSetupWithoutEndpointIsNoop(t *testing.T) {
	cfg := loadTracing(t)
	tp, shutdown, err := Setup(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if Enabled(tp) {
		t.Errorf("Enabled(%T) = true without an endpoint", tp)
	}
	_, span := tp.Tracer("test").Start(context.Background(), "work")
	if span.IsRecording() || span.SpanContext().IsValid() {
		t.Errorf("span from the no-op provider records (%v) or has an id (%v)", span.IsRecording(), span.SpanContext())
	}
	if err := shutdown(context.Background()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if Enabled(nil) {
		t.Error("Enabled(nil) = true")
	}
}

// With an endpoint, new traces are sampled at SHOPFLOW_TRACE_SAMPLE_RATIO, but a trace started
// upstream keeps its caller's decision.
func TestSetupWithEndpointSamplesByRatioUnlessTheParentDecided(t *testing.T) {
	for _, tc := range []struct {
		ratio         string
		parentSampled *bool
		wantSampled   bool
	}{
		{ratio: "1", wantSampled: true},
		{ratio: "0", wantSampled: false},
		{ratio: "0", parentSampled: ptr(true), wantSampled: true},
		{ratio: "1", parentSampled: ptr(false), wantSampled: false},
	} {
		cfg := loadTracing(t, "SHOPFLOW_OTLP_ENDPOINT="+closedAddr(t), "SHOPFLOW_OTLP_INSECURE=true",
			"SHOPFLOW_TRACE_SAMPLE_RATIO="+tc.ratio)
		tp, shutdown, err := Setup(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !Enabled(tp) {
			t.Fatalf("Enabled(%T) = false with an endpoint", tp)
		}
		ctx := context.Background()
		if tc.parentSampled != nil {
			flags := trace.TraceFlags(0)
			if *tc.parentSampled {
				flags = trace.FlagsSampled
			}
			ctx = trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: flags, Remote: true}))
		}
		_, span := tp.Tracer("test").Start(ctx, "work")
		if got := span.SpanContext().IsSampled(); got != tc.wantSampled {
			t.Errorf("ratio %s, parent sampled %v: span sampled %v, want %v", tc.ratio, deref(tc.parentSampled), got, tc.wantSampled)
		}
		// The span stays open, so shutting down has nothing to send to the absent collector.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		cancel()
	}
}

func TestTracingConfigIsValidated(t *testing.T) {
	for env, want := range map[string]string{
		"SHOPFLOW_TRACE_SAMPLE_RATIO=1.5":              "SHOPFLOW_TRACE_SAMPLE_RATIO",
		"SHOPFLOW_TRACE_SAMPLE_RATIO=-0.1":             "SHOPFLOW_TRACE_SAMPLE_RATIO",
		"SHOPFLOW_OTLP_ENDPOINT=collector":             "SHOPFLOW_OTLP_ENDPOINT",
		"SHOPFLOW_OTLP_ENDPOINT=grpc://collector:4317": "SHOPFLOW_OTLP_ENDPOINT",
	} {
		if _, err := config.Load([]string{env}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one naming %s", env, err, want)
		}
	}
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ServiceName = "" // an empty variable means the default; a Config built in code can still be empty
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "SHOPFLOW_SERVICE_NAME") {
		t.Errorf("empty service name: error %v, want one naming SHOPFLOW_SERVICE_NAME", err)
	}
	for _, env := range []string{"SHOPFLOW_OTLP_ENDPOINT=otel-collector:4317", "SHOPFLOW_OTLP_ENDPOINT=http://127.0.0.1:4317"} {
		if _, err := config.Load([]string{env}); err != nil {
			t.Errorf("%s: %v", env, err)
		}
	}
}

func loadTracing(t *testing.T, environ ...string) config.TracingConfig {
	t.Helper()
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.TracingConfig
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func ptr(b bool) *bool { return &b }

func deref(b *bool) any {
	if b == nil {
		return "none"
	}
	return *b
}
