package tracing

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// untracedPaths are probes and scrapes: a span every few seconds per pod says nothing.
var untracedPaths = map[string]bool{"/metrics": true, "/healthz": true, "/readyz": true}

// GinMiddleware starts a server span per API request (named "POST /api/v1/checkout", by route),
// continuing a trace whose W3C traceparent the caller sent. It goes first in the chain, so the
// request id, the access log and every handler see the span.
func GinMiddleware(tp trace.TracerProvider, service string) gin.HandlerFunc {
	return otelgin.Middleware(service,
		otelgin.WithTracerProvider(tp),
		otelgin.WithPropagators(Propagator()),
		// HTTP metrics are Prometheus's (api/metrics.go); the library's would go nowhere.
		otelgin.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelgin.WithFilter(func(r *http.Request) bool { return !untracedPaths[r.URL.Path] }),
	)
}

// HTTPClient is an HTTP client whose requests are client spans ("HTTP POST", the URL in
// attributes) under the caller's span. It sends no trace headers: the other side (Stripe) is
// not ours, and our trace ids are none of its business.
func HTTPClient(tp trace.TracerProvider, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: otelhttp.NewTransport(http.DefaultTransport,
			otelhttp.WithTracerProvider(tp),
			otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator()),
		),
	}
}
