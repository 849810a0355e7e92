package store

import (
	"context"
	"errors"
	"time"
)

// Refund kinds: a return's refund, or a cancellation's of a placed order.
const (
	RefundForReturn = "return"
	RefundForCancel = "cancel"
)

// Refund states. A pending refund holds its amount against what was captured; a failed one
// (the provider refused) keeps holding it until retried, so a retry never refunds twice.
const (
	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
)

// RefundLine is a quantity of one order line refunded, and the money it returns (the line's
// price after its share of the discount, plus its share of the tax).
type RefundLine struct {
	LineNo      int   `json:"line_no"`
	Quantity    int   `json:"quantity"`
	AmountCents int64 `json:"amount_cents"`
}

// Refund is money given back for some units of an order's lines.
type Refund struct {
	ID            string       `json:"id"`
	OrderID       string       `json:"order_id"`
	ReturnID      string       `json:"return_id,omitempty"`
	Kind          string       `json:"kind"`
	Status        string       `json:"status"`
	AmountCents   int64        `json:"amount_cents"`
	Currency      string       `json:"currency"`
	ProviderRef   string       `json:"provider_ref,omitempty"`
	FailureReason string       `json:"failure_reason,omitempty"`
	Attempts      int          `json:"attempts"`
	Lines         []RefundLine `json:"lines"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

// NewRefund asks for a refund of some units of an order's lines. Key makes it idempotent:
// "return:<return_id>" or "cancel:<cancellation_id>".
type NewRefund struct {
	OrderID  string
	ReturnID string
	Kind     string
	Key      string
	// Lines name LineNo and Quantity; the amounts are computed.
	Lines []RefundLine
}

var errRefundsTodo = errors.New("refunds not implemented")

// CreateRefund records a pending refund, holding its amount against the order's capture and
// its quantities against the lines' units, in one transaction: the database refuses more than
// was captured or sold (a conflict). The same Key answers with the refund already recorded.
func (s *Store) CreateRefund(ctx context.Context, r NewRefund) (Refund, error) {
	return Refund{}, errRefundsTodo
}

// RefundByID returns one refund with its lines.
func (s *Store) RefundByID(ctx context.Context, id string) (Refund, error) {
	return Refund{}, errRefundsTodo
}

// CompleteRefund records the provider's success: the refund succeeds, its lines enter the
// refund rollups, the order becomes partially_refunded or refunded, and a return it belongs to
// becomes refunded. Completing a succeeded refund again changes nothing.
func (s *Store) CompleteRefund(ctx context.Context, id, providerRef string) (Refund, error) {
	return Refund{}, errRefundsTodo
}

// FailRefund records the provider's refusal; the refund stays visible and retriable.
func (s *Store) FailRefund(ctx context.Context, id, reason string) (Refund, error) {
	return Refund{}, errRefundsTodo
}
