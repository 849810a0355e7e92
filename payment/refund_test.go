package payment_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"shopflow/payment"
)

// TestSandboxPartialRefunds: partial refunds add up to at most the intent's amount, the same key
// answers with the same refund, and a refundFail card refuses until told otherwise.
func TestSandboxPartialRefunds(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := context.Background()
	in := mustCharge(t, sb, chargeFor("ord_partial", "pm_card_visa"))
	first, err := sb.RefundAmount(ctx, in.ID, 1000, "refund:a")
	if err != nil || first.Status != payment.RefundSucceeded || first.ID == "" {
		t.Fatalf("first refund = %+v, %v", first, err)
	}
	// Ten concurrent repeats under the same key: one refund.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			again, err := sb.RefundAmount(ctx, in.ID, 1000, "refund:a")
			if err != nil || again != first {
				t.Errorf("repeat = %+v, %v; want %+v", again, err, first)
			}
		})
	}
	wg.Wait()
	tooMuch, err := sb.RefundAmount(ctx, in.ID, 1000, "refund:b")
	if err != nil || tooMuch.Status != payment.RefundFailed || tooMuch.FailureReason != payment.SandboxAmountTooLarge {
		t.Errorf("refund beyond the amount = %+v, %v; want failed %s", tooMuch, err, payment.SandboxAmountTooLarge)
	}
	rest, err := sb.RefundAmount(ctx, in.ID, 999, "refund:c")
	if err != nil || rest.Status != payment.RefundSucceeded {
		t.Errorf("the rest = %+v, %v", rest, err)
	}
	if got, _ := sb.Get(ctx, in.ID); !got.Refunded {
		t.Errorf("intent refunded in full by parts: %+v, want Refunded", got)
	}
	if _, err := sb.RefundAmount(ctx, in.ID, 5, "refund:c"); !errors.Is(err, payment.ErrInvalidRequest) {
		t.Errorf("a key reused for another amount: %v, want ErrInvalidRequest", err)
	}
	declined := mustCharge(t, sb, chargeFor("ord_declined", "pm_card_visa_chargeDeclined"))
	if _, err := sb.RefundAmount(ctx, declined.ID, 5, "refund:d"); !errors.Is(err, payment.ErrInvalidRequest) {
		t.Errorf("refunding a declined intent: %v, want ErrInvalidRequest", err)
	}
}

// TestSandboxRefundFailThenSucceed: an intent paid with pm_card_refundFail refuses refunds (the
// key replays the refusal) until SetRefuseRefunds clears it; then a new key succeeds.
func TestSandboxRefundFailThenSucceed(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := context.Background()
	in := mustCharge(t, sb, chargeFor("ord_refundfail", "pm_card_refundFail"))
	if in.Status != payment.StatusSucceeded {
		t.Fatalf("charge = %+v, want succeeded", in)
	}
	for range 2 {
		res, err := sb.RefundAmount(ctx, in.ID, 500, "refund:r1")
		if err != nil || res.Status != payment.RefundFailed || res.FailureReason != payment.SandboxRefundDeclined {
			t.Fatalf("refund = %+v, %v; want failed %s", res, err, payment.SandboxRefundDeclined)
		}
	}
	if err := sb.SetRefuseRefunds(ctx, in.ID, false); err != nil {
		t.Fatal(err)
	}
	if res, _ := sb.RefundAmount(ctx, in.ID, 500, "refund:r1"); res.Status != payment.RefundFailed {
		t.Errorf("the refused key answered %+v, want its refusal replayed", res)
	}
	if res, err := sb.RefundAmount(ctx, in.ID, 500, "refund:r1:2"); err != nil || res.Status != payment.RefundSucceeded {
		t.Errorf("retry under a new key = %+v, %v; want succeeded", res, err)
	}
	if err := sb.SetRefuseRefunds(ctx, "pi_nope", true); !errors.Is(err, payment.ErrNotFound) {
		t.Errorf("unknown intent: %v, want ErrNotFound", err)
	}
}

// TestStripeRefundAmountAgainstStripeMock: a partial refund is POST /v1/refunds with the
// intent, the amount and the idempotency key.
func TestStripeRefundAmountAgainstStripeMock(t *testing.T) {
	t.Parallel()
	st, rec := newStripe(stripeMock(t))
	res, err := st.RefundAmount(context.Background(), "pi_123", 250, "refund:abc")
	if err != nil || res.ID == "" || res.Status == payment.RefundFailed {
		t.Fatalf("RefundAmount = %+v, %v", res, err)
	}
	sent := onlyRequest(t, rec)
	if sent.Method != http.MethodPost || sent.Path != "/v1/refunds" || sent.Form.Get("payment_intent") != "pi_123" ||
		sent.Form.Get("amount") != "250" || sent.Header.Get("Idempotency-Key") != "refund:abc" {
		t.Errorf("sent %s %s %v key %q", sent.Method, sent.Path, sent.Form, sent.Header.Get("Idempotency-Key"))
	}
}

// TestStripeRefundAmountOutcomes: Stripe's answers map to succeeded, pending, refused (a
// result) or errors.
func TestStripeRefundAmountOutcomes(t *testing.T) {
	t.Parallel()
	const refundPath = "POST /v1/refunds"
	for _, tc := range []struct {
		name    string
		answer  fakeAnswer
		want    payment.RefundResult
		wantErr error
	}{
		{"succeeded", fakeAnswer{http.StatusOK, `{"id":"re_1","object":"refund","status":"succeeded","amount":250}`},
			payment.RefundResult{ID: "re_1", Status: payment.RefundSucceeded, AmountCents: 250}, nil},
		{"pending", fakeAnswer{http.StatusOK, `{"id":"re_1","object":"refund","status":"pending","amount":250}`},
			payment.RefundResult{ID: "re_1", Status: payment.RefundPending, AmountCents: 250}, nil},
		{"failed", fakeAnswer{http.StatusOK, `{"id":"re_1","object":"refund","status":"failed","amount":250,"failure_reason":"lost_or_stolen_card"}`},
			payment.RefundResult{ID: "re_1", Status: payment.RefundFailed, AmountCents: 250, FailureReason: "lost_or_stolen_card"}, nil},
		{"more than is left", fakeAnswer{http.StatusBadRequest, stripeErrorJSON("invalid_request_error", "amount_too_large", "")},
			payment.RefundResult{Status: payment.RefundFailed, AmountCents: 250, FailureReason: "amount_too_large"}, nil},
		{"malformed", fakeAnswer{http.StatusBadRequest, stripeErrorJSON("invalid_request_error", "parameter_invalid_integer", "")},
			payment.RefundResult{}, payment.ErrInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, _ := fakeStripe{refundPath: tc.answer}.start(t)
			res, err := st.RefundAmount(context.Background(), "pi_1", 250, "refund:x")
			if res != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("RefundAmount = %+v, %v; want %+v, %v", res, err, tc.want, tc.wantErr)
			}
		})
	}
}
