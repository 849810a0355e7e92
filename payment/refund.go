package payment

import (
	"context"
	"errors"
	"fmt"

	"github.com/stripe/stripe-go/v79"
)

// RefundStatus is a partial refund's state at the provider.
type RefundStatus string

// Refund states. Pending means the provider accepted the refund and is still sending the money
// (Stripe does this for some payment methods); Failed means it refused or could not send it,
// and nothing was given back.
const (
	RefundSucceeded RefundStatus = "succeeded"
	RefundPending   RefundStatus = "pending"
	RefundFailed    RefundStatus = "failed"
)

// RefundResult is the provider's answer to a partial refund.
type RefundResult struct {
	// ID is the provider's refund id (re_..., or sandbox_re_...).
	ID          string
	Status      RefundStatus
	AmountCents int64
	// FailureReason says why a Failed refund was refused.
	FailureReason string
}

// PartialRefunder gives back part of a captured payment. Every Provider implements it; it is
// its own interface so code that only refunds can say so.
type PartialRefunder interface {
	// RefundAmount refunds amountCents of a succeeded intent under idempotencyKey: the same key
	// answers with the same refund, never refunding twice. A refusal (more than is left to
	// refund, a disputed charge, a card that cannot take refunds) is not an error: it returns
	// a result with RefundFailed. Errors are transport or provider failures, worth retrying
	// unless they wrap ErrInvalidRequest.
	RefundAmount(ctx context.Context, intentID string, amountCents int64, idempotencyKey string) (RefundResult, error)
}

// RefundAmount refunds part of a succeeded intent through Stripe's Refunds API.
func (s *Stripe) RefundAmount(ctx context.Context, intentID string, amountCents int64, idempotencyKey string) (RefundResult, error) {
	op := fmt.Sprintf("stripe refund %d of intent %s", amountCents, intentID)
	if err := checkIntentCall(intentID, idempotencyKey); err != nil {
		return RefundResult{}, fmt.Errorf("%s: %w", op, err)
	}
	if amountCents <= 0 || idempotencyKey == "" {
		return RefundResult{}, fmt.Errorf("%s: %w: a refund needs a positive amount and an idempotency key", op, ErrInvalidRequest)
	}
	params := &stripe.RefundParams{PaymentIntent: stripe.String(intentID), Amount: stripe.Int64(amountCents)}
	params.Context = ctx
	params.SetIdempotencyKey(idempotencyKey)
	r, err := s.api.Refunds.New(params)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && refusedRefund(se) {
			return RefundResult{Status: RefundFailed, AmountCents: amountCents, FailureReason: declineCode(se)}, nil
		}
		return RefundResult{}, stripeFailure(op, err)
	}
	res := RefundResult{ID: r.ID, AmountCents: r.Amount, Status: RefundPending}
	switch r.Status {
	case stripe.RefundStatusSucceeded:
		res.Status = RefundSucceeded
	case stripe.RefundStatusFailed, stripe.RefundStatusCanceled:
		res.Status, res.FailureReason = RefundFailed, string(r.FailureReason)
		if res.FailureReason == "" {
			res.FailureReason = string(r.Status)
		}
	}
	return res, nil
}

// refusedRefund reports whether Stripe refused the refund for a reason a person must look at,
// rather than because the request was malformed.
func refusedRefund(se *stripe.Error) bool {
	if se.Type == stripe.ErrorTypeCard {
		return true
	}
	switch se.Code {
	case stripe.ErrorCodeAmountTooLarge, stripe.ErrorCodeChargeAlreadyRefunded, stripe.ErrorCodeChargeDisputed,
		stripe.ErrorCodeRefundDisputedPayment:
		return true
	}
	return false
}
