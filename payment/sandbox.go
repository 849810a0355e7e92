package payment

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Sandbox is the built-in payment provider for development and tests: it answers like Stripe
// does for Stripe's test payment methods, without an account or a network. Its intents live in
// the sandbox_intents table, so they survive worker restarts and Charge is idempotent across
// processes.
//
// Outcomes by payment method:
//   - pm_card_authenticationRequired (and any pm_card_authenticationRequired*): requires_action,
//     until Complete finishes it.
//   - any pm_card_* containing "chargeDeclined": failed; the decline code is the rest of the id
//     in snake case, or card_declined when nothing follows (pm_card_visa_chargeDeclined ->
//     card_declined, pm_card_chargeDeclinedInsufficientFunds -> insufficient_funds).
//   - any other pm_card_* (pm_card_visa, pm_card_mastercard, ...): succeeded. One containing
//     "refundFail" (pm_card_refundFail, as in Stripe's tests) succeeds, but its partial refunds
//     are refused until SetRefuseRefunds clears the intent's flag (see RefundAmount).
//   - anything else: ErrInvalidRequest.
type Sandbox struct {
	Pool *pgxpool.Pool
	// Tracer, when set, makes each call a span (payment.charge, ...), as Stripe's are.
	Tracer trace.Tracer
}

var _ Provider = (*Sandbox)(nil)

// sandboxAuthFailed is the decline code of a requires_action intent the shopper failed.
const sandboxAuthFailed = "authentication_failed"

// Name identifies the sandbox in the payments table.
func (s *Sandbox) Name() string { return "sandbox" }

// Charge creates an intent whose outcome follows the payment method, or answers with the intent
// already created under req.IdempotencyKey. Reusing a key with different parameters is refused,
// as Stripe does.
func (s *Sandbox) Charge(ctx context.Context, req ChargeRequest) (_ Intent, err error) {
	ctx, end := startSpan(ctx, s.Tracer, "payment.charge", s.Name(), attribute.String("shopflow.order_id", req.OrderID))
	defer func() { end(err) }()
	if err := validateCharge(req); err != nil {
		return Intent{}, err
	}
	status, declineCode, err := sandboxOutcome(req.PaymentMethod)
	if err != nil {
		return Intent{}, fmt.Errorf("sandbox charge order %s: %w", req.OrderID, err)
	}
	// Two statements, not one: after ON CONFLICT DO NOTHING waits for a concurrent insert of the
	// same key to commit, only a new statement's snapshot can see that row.
	_, err = s.Pool.Exec(ctx, `
		INSERT INTO sandbox_intents
			(id, idempotency_key, amount_cents, currency, payment_method, status, decline_code, metadata, refuse_refunds)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (idempotency_key) DO NOTHING`,
		"pi_sandbox_"+strings.ToLower(rand.Text()), req.IdempotencyKey, req.AmountCents,
		req.Currency, req.PaymentMethod, string(status), declineCode,
		map[string]string{"order_id": req.OrderID}, refusesRefunds(req.PaymentMethod))
	if err != nil {
		return Intent{}, fmt.Errorf("sandbox charge order %s: %w", req.OrderID, err)
	}
	var (
		in            Intent
		paymentMethod string
		orderID       string
	)
	err = s.Pool.QueryRow(ctx, `
		SELECT `+intentColumns+`, payment_method, coalesce(metadata->>'order_id', '')
		FROM sandbox_intents WHERE idempotency_key = $1`, req.IdempotencyKey).
		Scan(append(intentFields(&in), &paymentMethod, &orderID)...)
	if err != nil {
		return Intent{}, fmt.Errorf("sandbox charge order %s: %w", req.OrderID, err)
	}
	if in.AmountCents != req.AmountCents || in.Currency != req.Currency ||
		paymentMethod != req.PaymentMethod || orderID != req.OrderID {
		return Intent{}, fmt.Errorf("sandbox charge order %s: %w: idempotency key %q was used for a different request (intent %s)",
			req.OrderID, ErrInvalidRequest, req.IdempotencyKey, in.ID)
	}
	return in, nil
}

// Get reads an intent.
func (s *Sandbox) Get(ctx context.Context, intentID string) (_ Intent, err error) {
	ctx, end := startSpan(ctx, s.Tracer, "payment.get", s.Name(), intentAttr(intentID))
	defer func() { end(err) }()
	in, err := s.get(ctx, intentID)
	if err != nil {
		return Intent{}, fmt.Errorf("sandbox get intent %s: %w", intentID, err)
	}
	return in, nil
}

// Complete finishes a requires_action intent as the shopper would by passing (succeed) or
// failing 3-D Secure; it exists for development only. Completing an intent already in the
// requested final state is a no-op; completing any other intent that is not waiting for action
// is an invalid request.
func (s *Sandbox) Complete(ctx context.Context, intentID string, succeed bool) (_ Intent, err error) {
	ctx, end := startSpan(ctx, s.Tracer, "payment.complete", s.Name(), intentAttr(intentID))
	defer func() { end(err) }()
	want, declineCode := StatusSucceeded, ""
	if !succeed {
		want, declineCode = StatusFailed, sandboxAuthFailed
	}
	in, err := s.transition(ctx, intentID, `status = $2, decline_code = $3`,
		`status = 'requires_action'`, string(want), declineCode)
	if err != nil {
		return Intent{}, fmt.Errorf("sandbox complete intent %s: %w", intentID, err)
	}
	if in.Status != want || in.DeclineCode != declineCode {
		return Intent{}, fmt.Errorf("sandbox complete intent %s: %w: intent is %s, not requires_action",
			intentID, ErrInvalidRequest, describe(in))
	}
	return in, nil
}

// Cancel cancels an intent that is waiting for action. The sandbox keeps no per-key record:
// its state alone makes a repeated cancel answer the same.
func (s *Sandbox) Cancel(ctx context.Context, intentID, _ string) (_ Intent, err error) {
	ctx, end := startSpan(ctx, s.Tracer, "payment.cancel", s.Name(), intentAttr(intentID))
	defer func() { end(err) }()
	in, err := s.transition(ctx, intentID, `status = 'canceled'`,
		`status IN ('requires_action', 'processing')`)
	if err != nil {
		return Intent{}, fmt.Errorf("sandbox cancel intent %s: %w", intentID, err)
	}
	if in.Status == StatusSucceeded {
		return Intent{}, fmt.Errorf("sandbox cancel intent %s: %w", intentID, ErrAlreadySucceeded)
	}
	return in, nil
}

// Refund refunds a succeeded intent in full; refunding it again changes nothing.
func (s *Sandbox) Refund(ctx context.Context, intentID, _ string) (_ Intent, err error) {
	ctx, end := startSpan(ctx, s.Tracer, "payment.refund", s.Name(), intentAttr(intentID))
	defer func() { end(err) }()
	in, err := s.transition(ctx, intentID, `refunded = true`, `status = 'succeeded' AND NOT refunded`)
	if err != nil {
		return Intent{}, fmt.Errorf("sandbox refund intent %s: %w", intentID, err)
	}
	if in.Status != StatusSucceeded {
		return Intent{}, fmt.Errorf("sandbox refund intent %s: %w: intent is %s, only a succeeded one can be refunded",
			intentID, ErrInvalidRequest, describe(in))
	}
	return in, nil
}

// transition applies set to the intent when it matches from, in one conditional UPDATE so
// concurrent calls cannot both apply it, and returns the intent as it is afterwards either way.
// set and from are SQL fragments written in this file; args are $2 onwards.
func (s *Sandbox) transition(ctx context.Context, intentID, set, from string, args ...any) (Intent, error) {
	if intentID == "" {
		return Intent{}, fmt.Errorf("%w: empty intent id", ErrInvalidRequest)
	}
	var in Intent
	err := s.Pool.QueryRow(ctx, `
		UPDATE sandbox_intents SET `+set+`, updated_at = now()
		WHERE id = $1 AND `+from+`
		RETURNING `+intentColumns, append([]any{intentID}, args...)...).Scan(intentFields(&in)...)
	if err == nil {
		return in, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Intent{}, err
	}
	// The intent was not in a state to change. Every state the update skipped is final, so
	// reading it now shows the state that made the update skip it.
	return s.get(ctx, intentID)
}

func (s *Sandbox) get(ctx context.Context, intentID string) (Intent, error) {
	if intentID == "" {
		return Intent{}, fmt.Errorf("%w: empty intent id", ErrInvalidRequest)
	}
	var in Intent
	err := s.Pool.QueryRow(ctx, `SELECT `+intentColumns+` FROM sandbox_intents WHERE id = $1`, intentID).
		Scan(intentFields(&in)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return Intent{}, ErrNotFound
	}
	return in, err
}

const intentColumns = `id, status, amount_cents, currency, decline_code, refunded`

func intentFields(in *Intent) []any {
	return []any{&in.ID, &in.Status, &in.AmountCents, &in.Currency, &in.DeclineCode, &in.Refunded}
}

// describe names an intent's state for error messages.
func describe(in Intent) string {
	switch {
	case in.DeclineCode != "":
		return fmt.Sprintf("%s (%s)", in.Status, in.DeclineCode)
	case in.Refunded:
		return fmt.Sprintf("%s (refunded)", in.Status)
	}
	return string(in.Status)
}

// sandboxOutcome decides what a charge with paymentMethod does, following Stripe's test ids.
func sandboxOutcome(paymentMethod string) (status Status, declineCode string, err error) {
	card, ok := strings.CutPrefix(paymentMethod, "pm_card_")
	if !ok || card == "" {
		return "", "", fmt.Errorf("%w: unknown payment method %q (the sandbox takes Stripe's test ids, e.g. pm_card_visa)",
			ErrInvalidRequest, paymentMethod)
	}
	if strings.HasPrefix(card, "authenticationRequired") {
		return StatusRequiresAction, "", nil
	}
	if _, reason, declined := strings.Cut(card, "chargeDeclined"); declined {
		if reason == "" {
			return StatusFailed, "card_declined", nil
		}
		return StatusFailed, snakeCase(reason), nil
	}
	return StatusSucceeded, "", nil
}

// snakeCase turns Stripe's test id suffixes (InsufficientFunds) into decline codes
// (insufficient_funds).
func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// maxIdempotencyKeyLen is Stripe's limit, applied by every provider so a key that works in the
// sandbox also works in production.
const maxIdempotencyKeyLen = 255

// validateCharge refuses requests no provider could accept, before anything is sent or stored.
func validateCharge(req ChargeRequest) error {
	switch {
	case req.AmountCents <= 0:
		return fmt.Errorf("charge order %s: %w: amount %d must be positive", req.OrderID, ErrInvalidRequest, req.AmountCents)
	case !isCurrencyCode(req.Currency):
		return fmt.Errorf("charge order %s: %w: currency %q must be three upper-case letters", req.OrderID, ErrInvalidRequest, req.Currency)
	case req.PaymentMethod == "":
		return fmt.Errorf("charge order %s: %w: no payment method", req.OrderID, ErrInvalidRequest)
	case req.IdempotencyKey == "":
		// Without a key a retried charge could charge twice.
		return fmt.Errorf("charge order %s: %w: no idempotency key", req.OrderID, ErrInvalidRequest)
	case len(req.IdempotencyKey) > maxIdempotencyKeyLen:
		return fmt.Errorf("charge order %s: %w: idempotency key longer than %d bytes", req.OrderID, ErrInvalidRequest, maxIdempotencyKeyLen)
	}
	return nil
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, c := range []byte(s) {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
