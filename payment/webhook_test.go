package payment_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"shopflow/payment"
)

const webhookSecret = "whsec_test_secret"

// stripeEvent is a webhook body as Stripe sends it, for an intent of order ord_1.
func stripeEvent(eventType, intentStatus string) []byte {
	return fmt.Appendf(nil, `{
  "id": "evt_1",
  "object": "event",
  "api_version": "2020-08-27",
  "created": 1700000000,
  "type": %q,
  "data": {"object": {"id": "pi_1", "object": "payment_intent", "amount": 1999, "currency": "usd",
    "status": %q, "metadata": {"order_id": "ord_1"}}}
}`, eventType, intentStatus)
}

func TestParseStripeWebhookAcceptsSignedEvents(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		eventType, intentStatus string
		want                    payment.Status
	}{
		{"payment_intent.succeeded", "succeeded", payment.StatusSucceeded},
		{"payment_intent.payment_failed", "requires_payment_method", payment.StatusFailed},
		{"payment_intent.canceled", "canceled", payment.StatusCanceled},
		{"payment_intent.requires_action", "requires_action", payment.StatusRequiresAction},
	} {
		t.Run(tc.eventType, func(t *testing.T) {
			t.Parallel()
			payload := stripeEvent(tc.eventType, tc.intentStatus)
			// Four minutes old is within Stripe's five-minute tolerance.
			header := payment.SignStripeWebhook(payload, webhookSecret, time.Now().Add(-4*time.Minute))
			ev, err := payment.ParseStripeWebhook(payload, header, webhookSecret)
			want := payment.Event{ID: "evt_1", IntentID: "pi_1", OrderID: "ord_1", Status: tc.want}
			if err != nil || ev != want {
				t.Errorf("ParseStripeWebhook = %+v, %v; want %+v", ev, err, want)
			}
		})
	}
}

func TestParseStripeWebhookRefusesUnprovenPayloads(t *testing.T) {
	t.Parallel()
	payload := stripeEvent("payment_intent.succeeded", "succeeded")
	now := time.Now()
	valid := payment.SignStripeWebhook(payload, webhookSecret, now)
	for _, tc := range []struct {
		name    string
		payload []byte
		header  string
		secret  string
	}{
		{"tampered payload", bytes.Replace(payload, []byte(`"ord_1"`), []byte(`"ord_2"`), 1), valid, webhookSecret},
		{"wrong secret", payload, payment.SignStripeWebhook(payload, "whsec_other", now), webhookSecret},
		{"stale timestamp", payload, payment.SignStripeWebhook(payload, webhookSecret, now.Add(-6*time.Minute)), webhookSecret},
		{"missing header", payload, "", webhookSecret},
		{"malformed header", payload, "not a signature", webhookSecret},
		{"no v1 signature", payload, fmt.Sprintf("t=%d", now.Unix()), webhookSecret},
		{"no secret configured", payload, payment.SignStripeWebhook(payload, "", now), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev, err := payment.ParseStripeWebhook(tc.payload, tc.header, tc.secret)
			if !errors.Is(err, payment.ErrBadSignature) || ev != (payment.Event{}) {
				t.Errorf("ParseStripeWebhook = %+v, %v; want ErrBadSignature", ev, err)
			}
		})
	}
}

func TestParseStripeWebhookIgnoresOtherEvents(t *testing.T) {
	t.Parallel()
	for _, eventType := range []string{"charge.succeeded", "payment_intent.created", "customer.created"} {
		payload := stripeEvent(eventType, "requires_payment_method")
		header := payment.SignStripeWebhook(payload, webhookSecret, time.Now())
		ev, err := payment.ParseStripeWebhook(payload, header, webhookSecret)
		if !errors.Is(err, payment.ErrIgnoredEvent) || ev != (payment.Event{}) {
			t.Errorf("%s: ParseStripeWebhook = %+v, %v; want ErrIgnoredEvent", eventType, ev, err)
		}
	}
}

// A genuine body that cannot be read is Stripe's problem or ours, not an attacker's: it must
// not be reported as a bad signature.
func TestParseStripeWebhookUnreadableBody(t *testing.T) {
	t.Parallel()
	for name, payload := range map[string][]byte{
		"not json":          []byte(`{"id": "evt_1", "type":`),
		"no payment intent": []byte(`{"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "data": {"object": {"object": "payment_intent"}}}`),
	} {
		header := payment.SignStripeWebhook(payload, webhookSecret, time.Now())
		ev, err := payment.ParseStripeWebhook(payload, header, webhookSecret)
		if err == nil || errors.Is(err, payment.ErrBadSignature) || errors.Is(err, payment.ErrIgnoredEvent) {
			t.Errorf("%s: ParseStripeWebhook = %+v, %v; want a parse error", name, ev, err)
		}
	}
}

// The header must be what Stripe documents, so dev tools can play Stripe against any verifier.
func TestSignStripeWebhookFollowsStripesScheme(t *testing.T) {
	t.Parallel()
	payload := []byte(`{"id":"evt_1"}`)
	at := time.Unix(1700000000, 0)
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	fmt.Fprintf(mac, "%d.%s", at.Unix(), payload)
	want := fmt.Sprintf("t=%d,v1=%s", at.Unix(), hex.EncodeToString(mac.Sum(nil)))
	if got := payment.SignStripeWebhook(payload, webhookSecret, at); got != want {
		t.Errorf("SignStripeWebhook = %q, want %q", got, want)
	}
}
