// Package tracing sets up OpenTelemetry tracing for Shopflow: the tracer provider exporting over
// OTLP, and the instrumentation that puts the HTTP request, the Temporal workflow and its
// activities, Postgres, Redis and the payment provider into one trace. It also gives every log
// line the trace id of the span it was written under.
//
// Nothing here sets OpenTelemetry's global provider or propagator: the provider is passed to
// each instrumentation explicitly, so tests can record spans per App, in parallel. The one
// global it sets is the SDK's error handler (LogExportErrors), which has no other way in.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"shopflow/config"
)

// Setup builds the process's tracer provider from cfg: batching spans to the OTLP/gRPC collector
// at SHOPFLOW_OTLP_ENDPOINT, sampling new traces at SHOPFLOW_TRACE_SAMPLE_RATIO and following
// the caller's decision otherwise. With no endpoint it returns a no-op provider, which Enabled
// reports as off, so nothing is instrumented. shutdown flushes what is buffered; call it once,
// when the process stops.
func Setup(ctx context.Context, cfg config.TracingConfig) (_ trace.TracerProvider, shutdown func(context.Context) error, _ error) {
	if !cfg.TracingOn() {
		return noop.NewTracerProvider(), func(context.Context) error { return nil }, nil
	}
	// The collector is dialed lazily: a collector that is down loses spans, never start-up.
	exporter, err := otlptracegrpc.New(ctx, exporterOptions(cfg)...)
	if err != nil {
		return nil, nil, fmt.Errorf("otlp trace exporter for %s: %w", cfg.OTLPEndpoint, err)
	}
	res, err := resource.Merge(resource.Default(),
		resource.NewSchemaless(attribute.String("service.name", cfg.ServiceName)))
	if err != nil {
		return nil, nil, fmt.Errorf("tracing resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.TraceSampleRatio))),
	)
	return tp, tp.Shutdown, nil
}

// exporterOptions says where the collector is: a URL carries its own TLS choice (http:// is
// plaintext), a host:port uses TLS unless SHOPFLOW_OTLP_INSECURE is set.
func exporterOptions(cfg config.TracingConfig) []otlptracegrpc.Option {
	if strings.Contains(cfg.OTLPEndpoint, "://") {
		return []otlptracegrpc.Option{otlptracegrpc.WithEndpointURL(cfg.OTLPEndpoint)}
	}
	opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(cfg.OTLPEndpoint)}
	if cfg.OTLPInsecure {
		opts = append(opts, otlptracegrpc.WithInsecure())
	}
	return opts
}

// LogExportErrors sends the SDK's own errors (a collector that cannot be reached, spans
// dropped) to log as warnings, instead of the plain-text lines the SDK writes to stderr by
// default. The handler is process-wide: call it once, where the exporting provider is built.
func LogExportErrors(log *slog.Logger) {
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("tracing: span export failed", "err", err)
	}))
}

// Enabled reports whether tp records spans: false for nil and for the no-op provider Setup
// returns when tracing is off, so callers can skip instrumenting altogether.
func Enabled(tp trace.TracerProvider) bool {
	if tp == nil {
		return false
	}
	_, off := tp.(noop.TracerProvider)
	return !off
}

// Propagator carries a trace across process boundaries as W3C traceparent/tracestate and
// baggage headers, the format collectors, gateways and Temporal's other SDKs understand.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}
