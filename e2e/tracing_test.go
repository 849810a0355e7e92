package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"shopflow/app"
	"shopflow/tracing"
)

// One checkout is one trace: the API request, the workflow it starts, each step's activity, and
// under the activities the Postgres queries and the payment call; and the request's log line
// names that trace.
func TestTracingFollowsACheckoutFromRequestToConfirm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWorker())
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	logs := e.traceWith(tp)

	product := e.newProduct(5, 1999)
	cust := e.newCustomer()
	o := e.checkout(cust, checkoutOf(cardVisa, line{ProductID: product, Quantity: 1}))
	if res := e.awaitSaga(o.ID); res.Status != "placed" {
		t.Fatalf("saga ended %s/%s, want placed", res.Status, res.CancelReason)
	}

	var tr spanTree
	eventually(t, 30*time.Second, func() (bool, error) {
		tr = checkoutTrace(spans.Ended())
		return len(tr.missing()) == 0, nil
	}, func() string {
		return fmt.Sprintf("the checkout's trace to hold %v; it has %v", tr.missing(), tr.names())
	})

	root := tr.first("POST /api/v1/checkout")
	for _, name := range []string{"RunActivity:ReserveInventory", "RunActivity:ChargePayment", "RunActivity:ConfirmOrder"} {
		if !tr.under(tr.first(name), func(s sdktrace.ReadOnlySpan) bool { return s == root }) {
			t.Errorf("%s does not chain up to the request span: %v", name, tr.chain(tr.first(name)))
		}
	}
	inActivity := func(s sdktrace.ReadOnlySpan) bool { return strings.HasPrefix(s.Name(), "RunActivity:") }
	if n := tr.count(func(s sdktrace.ReadOnlySpan) bool { return isPostgres(s) && tr.under(s, inActivity) }); n == 0 {
		t.Errorf("no Postgres span under an activity span: %v", tr.names())
	}
	charge := tr.first("payment.charge")
	if !tr.under(charge, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "RunActivity:ChargePayment" }) {
		t.Errorf("payment.charge is not under RunActivity:ChargePayment: %v", tr.chain(charge))
	}
	if !tr.under(charge, func(s sdktrace.ReadOnlySpan) bool { return s == root }) {
		t.Errorf("payment.charge does not chain up to the request span: %v", tr.chain(charge))
	}
	if got, want := traceOf(logs, "request", "/api/v1/checkout"), root.SpanContext().TraceID().String(); got != want {
		t.Errorf("the checkout's access log line has trace_id %q, want the request span's %s", got, want)
	}
}

// traceWith replaces the env's API with one traced through tp, and starts a worker traced
// through it too, both as package app builds them. It returns the API's log.
func (e *env) traceWith(tp trace.TracerProvider) *lockedBuffer {
	e.t.Helper()
	logs := &lockedBuffer{}
	open := func(h slog.Handler) *app.App {
		a, err := app.Open(context.Background(), e.cfg, app.Options{Logger: slog.New(tracing.NewLogHandler(h)),
			Temporal: e.temporal, TracerProvider: tp})
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(a.Close)
		return a
	}
	w := open(slog.DiscardHandler).NewWorker()
	if err := w.Start(); err != nil {
		e.t.Fatalf("start worker on %s: %v", e.cfg.TaskQueue, err)
	}
	e.t.Cleanup(w.Stop)
	a := open(slog.NewJSONHandler(logs, nil))
	srv, err := a.API()
	if err != nil {
		e.t.Fatal(err)
	}
	e.api = httptest.NewServer(srv.Handler())
	e.t.Cleanup(e.api.Close)
	return logs
}

// spanTree is one trace's ended spans, by span id.
type spanTree map[trace.SpanID]sdktrace.ReadOnlySpan

// checkoutTrace is the trace of the (one) checkout request among spans.
func checkoutTrace(spans []sdktrace.ReadOnlySpan) spanTree {
	tr := spanTree{}
	var id trace.TraceID
	for _, s := range spans {
		if s.Name() == "POST /api/v1/checkout" {
			id = s.SpanContext().TraceID()
		}
	}
	for _, s := range spans {
		if id.IsValid() && s.SpanContext().TraceID() == id {
			tr[s.SpanContext().SpanID()] = s
		}
	}
	return tr
}

// missing names what the checkout's trace must hold and does not (yet).
func (tr spanTree) missing() []string {
	var out []string
	for _, want := range []string{"POST /api/v1/checkout", "StartWorkflow:", "RunWorkflow:", "RunActivity:ReserveInventory",
		"RunActivity:ChargePayment", "RunActivity:ConfirmOrder", "payment.charge"} {
		if tr.count(func(s sdktrace.ReadOnlySpan) bool {
			return s.Name() == want || strings.HasSuffix(want, ":") && strings.HasPrefix(s.Name(), want)
		}) == 0 {
			out = append(out, want)
		}
	}
	if tr.count(isPostgres) == 0 {
		out = append(out, "a Postgres query")
	}
	return out
}

func isPostgres(s sdktrace.ReadOnlySpan) bool {
	return s.InstrumentationScope().Name == "github.com/exaring/otelpgx"
}

func (tr spanTree) count(match func(sdktrace.ReadOnlySpan) bool) int {
	n := 0
	for _, s := range tr {
		if match(s) {
			n++
		}
	}
	return n
}

func (tr spanTree) first(name string) sdktrace.ReadOnlySpan {
	for _, s := range tr {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// under reports whether one of s's ancestors (in this trace) matches.
func (tr spanTree) under(s sdktrace.ReadOnlySpan, match func(sdktrace.ReadOnlySpan) bool) bool {
	for s != nil {
		parent, ok := tr[s.Parent().SpanID()]
		if !ok {
			return false
		}
		if match(parent) {
			return true
		}
		s = parent
	}
	return false
}

// chain is s and its ancestors' names, for failure messages.
func (tr spanTree) chain(s sdktrace.ReadOnlySpan) []string {
	var out []string
	for s != nil {
		out = append(out, s.Name())
		s = tr[s.Parent().SpanID()]
	}
	return out
}

func (tr spanTree) names() []string {
	var out []string
	for _, s := range tr {
		out = append(out, s.Name())
	}
	return out
}

// traceOf is the trace_id of the first JSON line in logs with message msg and route route.
func traceOf(logs *lockedBuffer, msg, route string) string {
	for _, raw := range strings.Split(logs.String(), "\n") {
		var line struct {
			Msg     string `json:"msg"`
			Route   string `json:"route"`
			TraceID string `json:"trace_id"`
		}
		if json.Unmarshal([]byte(raw), &line) == nil && line.Msg == msg && line.Route == route {
			return line.TraceID
		}
	}
	return ""
}
