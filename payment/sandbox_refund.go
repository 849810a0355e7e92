package payment

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Reasons the sandbox gives for refusing a refund.
const (
	SandboxRefundDeclined = "refund_declined"
	SandboxAmountTooLarge = "amount_too_large"
)

// refusesRefunds reports whether an intent paid with paymentMethod starts out refusing refunds.
func refusesRefunds(paymentMethod string) bool { return strings.Contains(paymentMethod, "refundFail") }

// RefundAmount refunds part of a succeeded intent. Refunds live in sandbox_refunds, one per
// idempotency key, so the same key answers with the same refund (succeeded or failed) and a
// retry of a refused refund needs a new key, as with Stripe. A refund is refused (failed) with
// SandboxRefundDeclined while the intent refuses refunds (paid with a "refundFail" method, until
// SetRefuseRefunds clears it) and with SandboxAmountTooLarge when it would give back more than
// is left; refusing changes nothing.
func (s *Sandbox) RefundAmount(ctx context.Context, intentID string, amountCents int64, idempotencyKey string) (RefundResult, error) {
	op := fmt.Sprintf("sandbox refund %d of intent %s", amountCents, intentID)
	if intentID == "" || amountCents <= 0 || idempotencyKey == "" {
		return RefundResult{}, fmt.Errorf("%s: %w: a refund needs an intent, a positive amount and an idempotency key", op, ErrInvalidRequest)
	}
	var res RefundResult
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		// The intent's lock serializes its refunds, so the key lookup sees a concurrent one.
		var status string
		var amount, refunded int64
		var refuse bool
		err := tx.QueryRow(ctx, `SELECT status, amount_cents, refunded_cents, refuse_refunds FROM sandbox_intents
			WHERE id = $1 FOR UPDATE`, intentID).Scan(&status, &amount, &refunded, &refuse)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		var keyIntent string
		err = tx.QueryRow(ctx, `SELECT id, intent_id, amount_cents, status, failure_reason FROM sandbox_refunds
			WHERE idempotency_key = $1`, idempotencyKey).Scan(&res.ID, &keyIntent, &res.AmountCents, &res.Status, &res.FailureReason)
		switch {
		case err == nil && (keyIntent != intentID || res.AmountCents != amountCents):
			return fmt.Errorf("%w: idempotency key %q was used for a different refund (%s)", ErrInvalidRequest, idempotencyKey, res.ID)
		case err == nil:
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if status != string(StatusSucceeded) {
			return fmt.Errorf("%w: intent is %s, only a succeeded one can be refunded", ErrInvalidRequest, status)
		}
		res = RefundResult{ID: "sandbox_re_" + strings.ToLower(rand.Text()), AmountCents: amountCents, Status: RefundSucceeded}
		switch {
		case refuse:
			res.Status, res.FailureReason = RefundFailed, SandboxRefundDeclined
		case refunded+amountCents > amount:
			res.Status, res.FailureReason = RefundFailed, SandboxAmountTooLarge
		default:
			if _, err := tx.Exec(ctx, `UPDATE sandbox_intents SET refunded_cents = refunded_cents + $2,
				refunded = (refunded_cents + $2 = amount_cents), updated_at = now() WHERE id = $1`, intentID, amountCents); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO sandbox_refunds (id, idempotency_key, intent_id, amount_cents, status, failure_reason)
			VALUES ($1, $2, $3, $4, $5, $6)`, res.ID, idempotencyKey, intentID, amountCents, string(res.Status), res.FailureReason)
		return err
	})
	if err != nil {
		return RefundResult{}, fmt.Errorf("%s: %w", op, err)
	}
	return res, nil
}

// SetRefuseRefunds makes the intent refuse partial refunds (refuse) or take them again; it
// exists for development and tests, to see a refused refund succeed on retry.
func (s *Sandbox) SetRefuseRefunds(ctx context.Context, intentID string, refuse bool) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE sandbox_intents SET refuse_refunds = $2, updated_at = now() WHERE id = $1`, intentID, refuse)
	if err != nil {
		return fmt.Errorf("sandbox refuse refunds of intent %s: %w", intentID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("sandbox refuse refunds of intent %s: %w", intentID, ErrNotFound)
	}
	return nil
}
