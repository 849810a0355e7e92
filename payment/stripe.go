package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// StripeConfig says how to reach Stripe.
type StripeConfig struct {
	// SecretKey is the account's secret API key (sk_live_..., sk_test_...).
	SecretKey string
	// BackendURL replaces https://api.stripe.com, e.g. with a stripe-mock address; empty means
	// the real Stripe API.
	BackendURL string
	// HTTPClient carries the requests; nil means stripe-go's default client (StripeTimeout).
	HTTPClient *http.Client
	// Tracer, when set, makes each call a span (payment.charge, payment.get, payment.cancel,
	// payment.refund); an HTTPClient from tracing.HTTPClient puts the requests under it.
	Tracer trace.Tracer
}

// StripeTimeout is stripe-go's own HTTP timeout, for a client given in its place.
const StripeTimeout = 80 * time.Second

// Stripe is the production payment provider: Stripe PaymentIntents through stripe-go. It
// holds its own client, so several accounts or backends can live in one process.
type Stripe struct {
	api    *client.API
	tracer trace.Tracer
}

var _ Provider = (*Stripe)(nil)

// NewStripe returns a Stripe provider for cfg. It sets none of stripe-go's package globals.
func NewStripe(cfg StripeConfig) *Stripe {
	// stripe-go logs every failed request at error level by default; failures reach callers
	// as errors, which they log with context, so the library stays quiet.
	quiet := &stripe.LeveledLogger{Level: stripe.LevelNull}
	api := &stripe.BackendConfig{HTTPClient: cfg.HTTPClient, LeveledLogger: quiet}
	if cfg.BackendURL != "" {
		api.URL = stripe.String(cfg.BackendURL)
	}
	other := &stripe.BackendConfig{HTTPClient: cfg.HTTPClient, LeveledLogger: quiet}
	return &Stripe{tracer: cfg.Tracer, api: client.New(cfg.SecretKey, &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, api),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, other),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, other),
	})}
}

// Name identifies Stripe in the payments table.
func (s *Stripe) Name() string { return "stripe" }

// Charge creates and confirms a card PaymentIntent. Stripe remembers req.IdempotencyKey for 24
// hours, so a retry answers with the first attempt's intent, or with its decline.
func (s *Stripe) Charge(ctx context.Context, req ChargeRequest) (_ Intent, err error) {
	ctx, end := startSpan(ctx, s.tracer, "payment.charge", s.Name(), attribute.String("shopflow.order_id", req.OrderID))
	defer func() { end(err) }()
	if err := validateCharge(req); err != nil {
		return Intent{}, err
	}
	params := &stripe.PaymentIntentParams{
		Amount:        stripe.Int64(req.AmountCents),
		Currency:      stripe.String(strings.ToLower(req.Currency)),
		PaymentMethod: stripe.String(req.PaymentMethod),
		// Naming the method types keeps automatic payment methods off, so confirming needs no
		// return_url for redirect-based methods; automatic_payment_methods is not sent as well,
		// since one of the two says it.
		PaymentMethodTypes: stripe.StringSlice([]string{"card"}),
		Confirm:            stripe.Bool(true),
	}
	params.Context = ctx
	params.AddMetadata("order_id", req.OrderID)
	params.SetIdempotencyKey(req.IdempotencyKey)
	pi, err := s.api.PaymentIntents.New(params)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Type == stripe.ErrorTypeCard {
			return declined(req, se), nil
		}
		return Intent{}, stripeFailure(fmt.Sprintf("stripe charge order %s", req.OrderID), err)
	}
	return intentOf(pi), nil
}

// Get reads an intent, with its latest charge to tell whether it was refunded.
func (s *Stripe) Get(ctx context.Context, intentID string) (_ Intent, err error) {
	ctx, end := startSpan(ctx, s.tracer, "payment.get", s.Name(), intentAttr(intentID))
	defer func() { end(err) }()
	pi, err := s.get(ctx, intentID)
	if err != nil {
		return Intent{}, stripeFailure(fmt.Sprintf("stripe get intent %s", intentID), err)
	}
	return intentOf(pi), nil
}

// Cancel cancels an intent that has not succeeded. Stripe refuses to cancel a succeeded or an
// already canceled intent; the first is ErrAlreadySucceeded, the second a no-op. A declined
// intent (requires_payment_method) is canceled for real, and comes back canceled.
func (s *Stripe) Cancel(ctx context.Context, intentID, idempotencyKey string) (_ Intent, err error) {
	ctx, end := startSpan(ctx, s.tracer, "payment.cancel", s.Name(), intentAttr(intentID))
	defer func() { end(err) }()
	op := fmt.Sprintf("stripe cancel intent %s", intentID)
	if err := checkIntentCall(intentID, idempotencyKey); err != nil {
		return Intent{}, fmt.Errorf("%s: %w", op, err)
	}
	params := &stripe.PaymentIntentCancelParams{}
	params.Context = ctx
	if idempotencyKey != "" {
		params.SetIdempotencyKey(idempotencyKey)
	}
	pi, err := s.api.PaymentIntents.Cancel(intentID, params)
	if err == nil {
		return intentOf(pi), nil
	}
	var se *stripe.Error
	if !errors.As(err, &se) || se.Code != stripe.ErrorCodePaymentIntentUnexpectedState {
		return Intent{}, stripeFailure(op, err)
	}
	current := se.PaymentIntent
	if current == nil || current.Status == "" {
		// The error did not say which state blocked the cancel; ask.
		var getErr error
		if current, getErr = s.get(ctx, intentID); getErr != nil {
			return Intent{}, stripeFailure(op, getErr)
		}
	}
	switch current.Status {
	case stripe.PaymentIntentStatusSucceeded:
		return Intent{}, fmt.Errorf("%s: %w", op, ErrAlreadySucceeded)
	case stripe.PaymentIntentStatusCanceled:
		return intentOf(current), nil
	}
	return Intent{}, stripeFailure(op, err)
}

// Refund refunds a succeeded intent in full. A repeat under the same key is answered by Stripe
// from its idempotency cache; a repeat under another key meets charge_already_refunded, which
// is a no-op here too.
func (s *Stripe) Refund(ctx context.Context, intentID, idempotencyKey string) (_ Intent, err error) {
	ctx, end := startSpan(ctx, s.tracer, "payment.refund", s.Name(), intentAttr(intentID))
	defer func() { end(err) }()
	op := fmt.Sprintf("stripe refund intent %s", intentID)
	if err := checkIntentCall(intentID, idempotencyKey); err != nil {
		return Intent{}, fmt.Errorf("%s: %w", op, err)
	}
	params := &stripe.RefundParams{PaymentIntent: stripe.String(intentID)}
	params.Context = ctx
	if idempotencyKey != "" {
		params.SetIdempotencyKey(idempotencyKey)
	}
	refund, err := s.api.Refunds.New(params)
	var se *stripe.Error
	switch {
	case err == nil && (refund.Status == stripe.RefundStatusFailed || refund.Status == stripe.RefundStatusCanceled):
		// The same key would only replay this answer.
		return Intent{}, fmt.Errorf("%s: %w: refund %s is %s", op, ErrInvalidRequest, refund.ID, refund.Status)
	case err == nil:
	case errors.As(err, &se) && se.Code == stripe.ErrorCodeChargeAlreadyRefunded:
	default:
		return Intent{}, stripeFailure(op, err)
	}
	// The refund answers with its own object; the intent's state is a read away.
	pi, err := s.get(ctx, intentID)
	if err != nil {
		return Intent{}, stripeFailure(op, err)
	}
	in := intentOf(pi)
	in.Refunded = true
	return in, nil
}

func (s *Stripe) get(ctx context.Context, intentID string) (*stripe.PaymentIntent, error) {
	if intentID == "" {
		// stripe-go would request /v1/payment_intents/, which is the list endpoint.
		return nil, fmt.Errorf("%w: empty intent id", ErrInvalidRequest)
	}
	params := &stripe.PaymentIntentParams{}
	params.Context = ctx
	params.AddExpand("latest_charge")
	return s.api.PaymentIntents.Get(intentID, params)
}

// checkIntentCall refuses what stripe-go would send to the wrong URL or refuse with an error
// that does not say it cannot be retried.
func checkIntentCall(intentID, idempotencyKey string) error {
	if intentID == "" {
		return fmt.Errorf("%w: empty intent id", ErrInvalidRequest)
	}
	if len(idempotencyKey) > maxIdempotencyKeyLen {
		return fmt.Errorf("%w: idempotency key longer than %d bytes", ErrInvalidRequest, maxIdempotencyKeyLen)
	}
	return nil
}

// intentOf maps a PaymentIntent to an Intent. requires_payment_method after a confirm means
// the card was declined; requires_confirmation and requires_capture cannot follow our
// confirmed, automatically captured intents, and like any status Stripe may add later they
// count as processing: not final, so the saga waits for a webhook or its timeout.
func intentOf(pi *stripe.PaymentIntent) Intent {
	in := Intent{
		ID:          pi.ID,
		AmountCents: pi.Amount,
		Currency:    strings.ToUpper(string(pi.Currency)),
		Refunded:    pi.LatestCharge != nil && pi.LatestCharge.Refunded,
	}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		in.Status = StatusSucceeded
	case stripe.PaymentIntentStatusRequiresAction:
		in.Status = StatusRequiresAction
	case stripe.PaymentIntentStatusCanceled:
		in.Status = StatusCanceled
	case stripe.PaymentIntentStatusRequiresPaymentMethod:
		in.Status = StatusFailed
		in.DeclineCode = declineCode(pi.LastPaymentError)
	default:
		in.Status = StatusProcessing
	}
	return in
}

// declined is the failed intent a card_error stands for.
func declined(req ChargeRequest, se *stripe.Error) Intent {
	in := Intent{
		Status:      StatusFailed,
		AmountCents: req.AmountCents,
		Currency:    req.Currency,
		DeclineCode: declineCode(se),
	}
	if se.PaymentIntent != nil {
		in.ID = se.PaymentIntent.ID
	}
	return in
}

// declineCode says why a card was declined: the issuer's decline code when there is one
// (insufficient_funds, generic_decline), else Stripe's error code (expired_card).
func declineCode(se *stripe.Error) string {
	switch {
	case se == nil:
		return ""
	case se.DeclineCode != "":
		return string(se.DeclineCode)
	}
	return string(se.Code)
}

// stripeFailure wraps a failed Stripe call for callers: a 404 is ErrNotFound, a request Stripe
// refused is ErrInvalidRequest (retrying cannot help), anything else stays retryable, including
// a rejected API key, which an operator can fix while the activity retries.
func stripeFailure(op string, err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("%s: %w", op, err)
	}
	switch {
	case se.HTTPStatusCode == http.StatusNotFound:
		return fmt.Errorf("%s: %w: %w", op, ErrNotFound, err)
	case se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden:
		return fmt.Errorf("%s: stripe refused the API key: %w", op, err)
	case se.Type == stripe.ErrorTypeInvalidRequest || se.Type == stripe.ErrorTypeIdempotency:
		return fmt.Errorf("%s: %w: %w", op, ErrInvalidRequest, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// startSpan starts the span of one payment call when tracing is on (tracer not nil); end marks
// it failed when err is not nil, and ends it. A decline is an answer, not a failure.
func startSpan(ctx context.Context, tracer trace.Tracer, name, provider string, attrs ...attribute.KeyValue) (context.Context, func(error)) {
	if tracer == nil {
		return ctx, func(error) {}
	}
	ctx, span := tracer.Start(ctx, name, trace.WithAttributes(append(attrs, attribute.String("payment.provider", provider))...))
	return ctx, func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

func intentAttr(intentID string) attribute.KeyValue {
	return attribute.String("payment.intent_id", intentID)
}
