package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func recorder(t *testing.T) (*tracetest.SpanRecorder, trace.TracerProvider) {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return spans, tp
}

// API requests are spans named by route, continuing the caller's W3C trace; probes and scrapes
// are not traced.
func TestGinMiddlewareTracesRequestsButNotProbes(t *testing.T) {
	gin.SetMode(gin.TestMode)
	spans, tp := recorder(t)
	r := gin.New()
	r.Use(GinMiddleware(tp, "shopflow"))
	var handlerSpan trace.SpanContext
	r.GET("/api/v1/orders/:id", func(c *gin.Context) {
		handlerSpan = trace.SpanContextFromContext(c.Request.Context())
		c.Status(http.StatusOK)
	})
	r.GET("/healthz", func(c *gin.Context) { c.Status(http.StatusOK) })

	req := httptest.NewRequest("GET", "/api/v1/orders/42", nil)
	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	req.Header.Set("traceparent", parent)
	r.ServeHTTP(httptest.NewRecorder(), req)
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))

	ended := spans.Ended()
	if len(ended) != 1 {
		t.Fatalf("%d spans, want 1 (the API request; /healthz untraced): %v", len(ended), names(ended))
	}
	s := ended[0]
	if s.Name() != "GET /api/v1/orders/:id" {
		t.Errorf("span name %q, want the route", s.Name())
	}
	if got := s.SpanContext().TraceID().String(); got != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("trace id %s, want the caller's from traceparent", got)
	}
	if handlerSpan.SpanID() != s.SpanContext().SpanID() {
		t.Errorf("the handler's context carries span %s, want the request's %s", handlerSpan.SpanID(), s.SpanContext().SpanID())
	}
}

// Calls to the payment provider are client spans under the caller's span, and our trace ids
// are not sent to it.
func TestHTTPClientTracesWithoutSendingTraceHeaders(t *testing.T) {
	spans, tp := recorder(t)
	var sent http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent = r.Header.Clone() }))
	t.Cleanup(srv.Close)

	ctx, parent := tp.Tracer("test").Start(context.Background(), "payment.charge")
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/payment_intents", nil)
	res, err := HTTPClient(tp, 5*time.Second).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	parent.End()

	if v := sent.Get("traceparent"); v != "" {
		t.Errorf("traceparent %q sent to the provider", v)
	}
	var client sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.SpanKind() == trace.SpanKindClient {
			client = s
		}
	}
	if client == nil {
		t.Fatalf("no client span among %v", names(spans.Ended()))
	}
	if client.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("HTTP span's parent %s, want the caller's span %s", client.Parent().SpanID(), parent.SpanContext().SpanID())
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name()
	}
	return out
}
