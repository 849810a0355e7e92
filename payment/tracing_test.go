package payment_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"shopflow/payment"
	"shopflow/store/storetest"
	"shopflow/tracing"
)

func spanRecorder(t *testing.T) (*tracetest.SpanRecorder, trace.TracerProvider) {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return spans, tp
}

// spanNamed is the one ended span called name.
func spanNamed(t *testing.T, spans *tracetest.SpanRecorder, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans named %s, want 1", len(found), name)
	}
	return found[0]
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if kv.Key == attribute.Key(key) {
			return kv.Value.String()
		}
	}
	return ""
}

// A Stripe charge is a payment.charge span with the HTTP request to Stripe under it.
func TestStripeChargeIsASpanWithItsRequestUnderIt(t *testing.T) {
	t.Parallel()
	spans, tp := spanRecorder(t)
	st := payment.NewStripe(payment.StripeConfig{SecretKey: "sk_test_123", BackendURL: stripeMock(t),
		Tracer: tp.Tracer("test"), HTTPClient: tracing.HTTPClient(tp, 10*time.Second)})
	if _, err := st.Charge(context.Background(), chargeFor("ord_traced", "pm_card_visa")); err != nil {
		t.Fatal(err)
	}

	charge := spanNamed(t, spans, "payment.charge")
	if attr(charge, "payment.provider") != "stripe" || attr(charge, "shopflow.order_id") != "ord_traced" {
		t.Errorf("payment.charge attributes %v, want provider stripe and the order id", charge.Attributes())
	}
	post := spanNamed(t, spans, "HTTP POST")
	if post.Parent().SpanID() != charge.SpanContext().SpanID() {
		t.Errorf("the request to Stripe is not under payment.charge")
	}
}

// Sandbox calls are spans too, marked failed when the call fails.
func TestSandboxCallsAreSpans(t *testing.T) {
	t.Parallel()
	spans, tp := spanRecorder(t)
	sb := &payment.Sandbox{Pool: storetest.NewPool(t), Tracer: tp.Tracer("test")}
	in := mustCharge(t, sb, chargeFor("ord_sandbox", "pm_card_visa"))
	if _, err := sb.Get(context.Background(), "pi_unknown"); !errors.Is(err, payment.ErrNotFound) {
		t.Fatalf("Get of an unknown intent: %v, want ErrNotFound", err)
	}

	charge := spanNamed(t, spans, "payment.charge")
	if attr(charge, "payment.provider") != "sandbox" || attr(charge, "shopflow.order_id") != "ord_sandbox" ||
		charge.Status().Code == codes.Error {
		t.Errorf("payment.charge: attributes %v status %v, want provider sandbox, the order id, no error",
			charge.Attributes(), charge.Status())
	}
	get := spanNamed(t, spans, "payment.get")
	if get.Status().Code != codes.Error || attr(get, "payment.intent_id") != "pi_unknown" {
		t.Errorf("payment.get of an unknown intent: status %v attributes %v, want an error and the intent id",
			get.Status(), get.Attributes())
	}
	if in.ID == "" {
		t.Error("charge returned no intent")
	}
}
