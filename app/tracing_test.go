package app_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"shopflow/app"
	"shopflow/payment"
)

// With a tracer provider, the App's Postgres pool, Redis client and payment provider put their
// spans under the caller's span: the activity's, in production.
func TestTracingPutsQueriesRedisAndPaymentsUnderTheCallersSpan(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	a := open(t, testConfig(t), app.Options{NoTemporal: true, TracerProvider: tp})
	if a.TracerProvider() != tp {
		t.Fatalf("TracerProvider() = %v, want the one in Options", a.TracerProvider())
	}

	ctx, caller := tp.Tracer("test").Start(context.Background(), "RunActivity:ChargePayment")
	if _, err := a.Pool.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	if err := a.Redis.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Payments.Charge(ctx, payment.ChargeRequest{OrderID: "order-1", AmountCents: 1999, Currency: "USD",
		PaymentMethod: "pm_card_visa", IdempotencyKey: "order-1:charge:" + t.Name()}); err != nil {
		t.Fatal(err)
	}
	caller.End()

	scope := func(name string) func(sdktrace.ReadOnlySpan) bool {
		return func(s sdktrace.ReadOnlySpan) bool { return s.InstrumentationScope().Name == name }
	}
	want := map[string]func(sdktrace.ReadOnlySpan) bool{
		"postgres": scope("github.com/exaring/otelpgx"),
		"redis":    scope("github.com/redis/go-redis/extra/redisotel"),
		"payment":  func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "payment.charge" },
	}
	for what, match := range want {
		found := false
		for _, s := range spans.Ended() {
			if match(s) && s.Parent().SpanID() == caller.SpanContext().SpanID() {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s span under the caller's span among %d spans", what, len(spans.Ended()))
		}
	}
}

// Without SHOPFLOW_OTLP_ENDPOINT or a provider in Options, nothing is instrumented.
func TestTracingOffInstrumentsNothing(t *testing.T) {
	t.Parallel()
	a := open(t, testConfig(t), app.Options{NoTemporal: true})
	if a.TracerProvider() != nil {
		t.Errorf("TracerProvider() = %v with tracing off", a.TracerProvider())
	}
	if tr := a.Pool.Config().ConnConfig.Tracer; tr != nil {
		t.Errorf("the pool has query tracer %T with tracing off", tr)
	}
	if sb, ok := a.Payments.(*payment.Sandbox); !ok || sb.Tracer != nil {
		t.Errorf("payments %T traced with tracing off", a.Payments)
	}
}
