package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"shopflow/audit"
	"shopflow/errs"
	"shopflow/payment"
	"shopflow/store"
)

// ErrTypeRefundRefused: the refund cannot be recorded (more than was captured or sold, an
// unknown line, an order with nothing captured); retrying cannot help.
const ErrTypeRefundRefused = "RefundRefused"

// Refunds records refunds and issues them through the payment provider.
type Refunds struct {
	Store    *store.Store
	Payments payment.Provider
}

// CreateRefundInput records a refund of some units of an order's lines.
type CreateRefundInput struct {
	OrderID  string
	ReturnID string
	Kind     string // store.RefundForReturn or store.RefundForCancel
	Key      string // "return:<return_id>" or "cancel:<cancellation_id>"
	Lines    []store.RefundLine
	// Actor is who decided the refund, for the audit trail.
	Actor audit.Actor
}

// CreateRefundResult is the recorded refund.
type CreateRefundResult struct {
	RefundID    string
	AmountCents int64
	Currency    string
	Status      string
}

// CreateRefund records the refund (idempotent under Key). More than was captured or sold is a
// non-retryable application error of type "RefundRefused".
func (a *Refunds) CreateRefund(ctx context.Context, in CreateRefundInput) (CreateRefundResult, error) {
	ctx = audit.WithActor(ctx, in.Actor)
	r, err := a.Store.CreateRefund(ctx, store.NewRefund{OrderID: in.OrderID, ReturnID: in.ReturnID, Kind: in.Kind,
		Key: in.Key, Lines: in.Lines})
	if err != nil {
		switch errs.CodeOf(err) {
		case errs.Conflict, errs.Invalid, errs.NotFound, errs.Unprocessable:
			return CreateRefundResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeRefundRefused, err)
		}
		return CreateRefundResult{}, err
	}
	return CreateRefundResult{RefundID: r.ID, AmountCents: r.AmountCents, Currency: r.Currency, Status: r.Status}, nil
}

// IssueRefundActivityInput issues one recorded refund.
type IssueRefundActivityInput struct {
	RefundID string
	Actor    audit.Actor
}

// IssueRefundActivityResult is the refund's state afterwards: succeeded, or failed with the
// provider's reason (a refusal is a result, not an error; transport failures are retried).
type IssueRefundActivityResult struct {
	Status        string
	AmountCents   int64
	FailureReason string
}

// ProviderRefundKey is the provider idempotency key of a refund's attempt: "refund:<id>" for
// the first, "refund:<id>:<n>" for the n-th. Activity retries of one attempt reuse its key, so
// a transport failure never refunds twice; a retry after a refusal gets a new key, since the
// provider answers a key it refused with the same refusal.
func ProviderRefundKey(refundID string, attempt int) string {
	if attempt <= 1 {
		return "refund:" + refundID
	}
	return fmt.Sprintf("refund:%s:%d", refundID, attempt)
}

// IssueRefund asks the provider for the refund under the key "refund:<refund_id>" and records
// the outcome.
func (a *Refunds) IssueRefund(ctx context.Context, in IssueRefundActivityInput) (IssueRefundActivityResult, error) {
	ctx = audit.WithActor(ctx, in.Actor)
	r, err := a.Store.RefundByID(ctx, in.RefundID)
	if err != nil {
		return IssueRefundActivityResult{}, refundStoreError(err)
	}
	if r.Status == store.RefundSucceeded {
		return IssueRefundActivityResult{Status: r.Status, AmountCents: r.AmountCents}, nil
	}
	if r, err = a.Store.BeginRefundAttempt(ctx, in.RefundID); err != nil {
		return IssueRefundActivityResult{}, refundStoreError(err)
	}
	provider, intentID, err := a.Store.RefundPayment(ctx, in.RefundID)
	if err != nil {
		return IssueRefundActivityResult{}, refundStoreError(err)
	}
	res := payment.RefundResult{Status: payment.RefundSucceeded}
	if r.AmountCents > 0 { // nothing to send for units that cost nothing
		if provider != a.Payments.Name() {
			// Only an operator can settle this one (refund it in the other provider's console);
			// failed, it stays listed and retriable.
			err = fmt.Errorf("%w: paid through %s, but the provider is %s", payment.ErrInvalidRequest, provider, a.Payments.Name())
		} else {
			res, err = a.Payments.RefundAmount(ctx, intentID, r.AmountCents, ProviderRefundKey(r.ID, r.Attempts))
		}
		if err != nil && errors.Is(err, payment.ErrInvalidRequest) {
			// The provider will never take this request: record it as refused, visible and
			// retriable by an operator, rather than losing it in activity retries.
			res, err = payment.RefundResult{Status: payment.RefundFailed, FailureReason: err.Error()}, nil
		}
		if err != nil {
			return IssueRefundActivityResult{}, err
		}
	}
	if res.Status == payment.RefundFailed {
		if r, err = a.Store.FailRefund(ctx, r.ID, res.FailureReason); err != nil {
			return IssueRefundActivityResult{}, refundStoreError(err)
		}
		return IssueRefundActivityResult{Status: r.Status, AmountCents: r.AmountCents, FailureReason: r.FailureReason}, nil
	}
	// Pending at the provider means accepted: the money is on its way (see docs).
	if r, err = a.Store.CompleteRefund(ctx, r.ID, res.ID); err != nil {
		return IssueRefundActivityResult{}, refundStoreError(err)
	}
	return IssueRefundActivityResult{Status: r.Status, AmountCents: r.AmountCents}, nil
}

// refundStoreError makes a refund the store does not know of final; anything else is retried.
func refundStoreError(err error) error {
	if errs.CodeOf(err) == errs.NotFound {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeRefundRefused, err)
	}
	return err
}
