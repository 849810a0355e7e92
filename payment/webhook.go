package payment

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/webhook"
)

// Webhook errors callers branch on.
var (
	// ErrBadSignature: the payload is not proven to come from Stripe (missing, malformed, wrong
	// or stale Stripe-Signature header); answer 400 and do nothing with it.
	ErrBadSignature = errors.New("bad webhook signature")
	// ErrIgnoredEvent: a genuine event of a type Shopflow does not act on; answer 2xx so Stripe
	// stops sending it.
	ErrIgnoredEvent = errors.New("ignored webhook event")
)

// ParseStripeWebhook verifies a Stripe webhook against the endpoint's signing secret and
// returns the payment event it reports. Signatures older than five minutes are refused, so a
// captured request cannot be replayed later. The event's API version may differ from
// stripe-go's: only the intent's id, status and metadata are read, and they are stable.
func ParseStripeWebhook(payload []byte, signatureHeader, secret string) (Event, error) {
	if secret == "" {
		// Anyone can sign with an empty secret.
		return Event{}, fmt.Errorf("%w: no webhook signing secret configured", ErrBadSignature)
	}
	ev, err := webhook.ConstructEventWithOptions(payload, signatureHeader, secret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		if isSignatureError(err) {
			return Event{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
		}
		return Event{}, fmt.Errorf("parse stripe webhook: %w", err)
	}
	status, handled := stripeEventStatus(ev.Type)
	if !handled {
		return Event{}, ErrIgnoredEvent
	}
	if ev.Data == nil {
		return Event{}, fmt.Errorf("parse stripe webhook %s (%s): no data", ev.ID, ev.Type)
	}
	var pi stripe.PaymentIntent
	if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
		return Event{}, fmt.Errorf("parse stripe webhook %s (%s): %w", ev.ID, ev.Type, err)
	}
	if pi.ID == "" {
		return Event{}, fmt.Errorf("parse stripe webhook %s (%s): no payment intent id", ev.ID, ev.Type)
	}
	return Event{ID: ev.ID, IntentID: pi.ID, OrderID: pi.Metadata["order_id"], Status: status}, nil
}

// SignStripeWebhook returns the Stripe-Signature header value Stripe would send with payload
// at time t (a zero t means now), for tests and development tools that play Stripe's part.
func SignStripeWebhook(payload []byte, secret string, t time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload:   payload,
		Secret:    secret,
		Timestamp: t,
	}).Header
}

func isSignatureError(err error) bool {
	return errors.Is(err, webhook.ErrNotSigned) || errors.Is(err, webhook.ErrInvalidHeader) ||
		errors.Is(err, webhook.ErrNoValidSignature) || errors.Is(err, webhook.ErrTooOld)
}

// stripeEventStatus maps the webhook events Shopflow acts on to the intent state they report.
func stripeEventStatus(t stripe.EventType) (Status, bool) {
	switch t {
	case stripe.EventTypePaymentIntentSucceeded:
		return StatusSucceeded, true
	case stripe.EventTypePaymentIntentPaymentFailed:
		return StatusFailed, true
	case stripe.EventTypePaymentIntentCanceled:
		return StatusCanceled, true
	case stripe.EventTypePaymentIntentRequiresAction:
		return StatusRequiresAction, true
	}
	return "", false
}
