package activities

import (
	"context"
	"errors"

	"shopflow/audit"
	"shopflow/payment"
	"shopflow/store"
)

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
	return CreateRefundResult{}, errors.New("refunds not implemented")
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

// IssueRefund asks the provider for the refund under the key "refund:<refund_id>" and records
// the outcome.
func (a *Refunds) IssueRefund(ctx context.Context, in IssueRefundActivityInput) (IssueRefundActivityResult, error) {
	return IssueRefundActivityResult{}, errors.New("refunds not implemented")
}
