// Package payment charges shoppers through a Provider: Stripe PaymentIntents in production, or
// the built-in sandbox that mimics Stripe's test cards without any account.
package payment

import (
	"context"
	"errors"
)

// Status is a payment intent's state, in Stripe's words where they exist.
type Status string

// Intent states. Succeeded and Canceled are final; RequiresAction waits for the shopper (3-D
// Secure); Failed means the card was declined and nothing was charged.
const (
	StatusSucceeded      Status = "succeeded"
	StatusRequiresAction Status = "requires_action"
	StatusProcessing     Status = "processing"
	StatusFailed         Status = "failed"
	StatusCanceled       Status = "canceled"
)

// ChargeRequest asks for a payment of an order's server-computed amount.
type ChargeRequest struct {
	OrderID       string
	AmountCents   int64
	Currency      string // ISO 4217, upper case
	PaymentMethod string // a payment method id, e.g. pm_card_visa
	// IdempotencyKey makes retries safe: the same key always answers with the same intent and
	// never charges twice. Shopflow uses "<order_id>:charge".
	IdempotencyKey string
}

// Intent is the provider's view of one payment.
type Intent struct {
	ID          string
	Status      Status
	AmountCents int64
	Currency    string
	// DeclineCode says why a Failed intent was declined (e.g. card_declined, insufficient_funds).
	DeclineCode string
	// Refunded is true once the charge has been refunded in full.
	Refunded bool
}

// Provider is a payment service. Every method is idempotent under its key, so activities can
// retry it freely.
type Provider interface {
	// Name identifies the provider in the payments table ("stripe", "sandbox").
	Name() string
	// Charge creates and confirms an intent. A decline is not an error: it returns an intent
	// with StatusFailed. Errors are transport or provider failures, worth retrying unless they
	// wrap ErrInvalidRequest.
	Charge(ctx context.Context, req ChargeRequest) (Intent, error)
	// Get reads an intent's current state.
	Get(ctx context.Context, intentID string) (Intent, error)
	// Cancel cancels an intent that has not succeeded. Canceling a succeeded intent returns
	// ErrAlreadySucceeded (refund it instead); canceling a canceled or failed one is a no-op.
	Cancel(ctx context.Context, intentID, idempotencyKey string) (Intent, error)
	// Refund refunds a succeeded intent in full; refunding twice is a no-op.
	Refund(ctx context.Context, intentID, idempotencyKey string) (Intent, error)
	// RefundAmount gives back part of a succeeded intent (see PartialRefunder).
	PartialRefunder
}

// Errors callers branch on.
var (
	// ErrAlreadySucceeded: the intent was captured, so it cannot be canceled, only refunded.
	ErrAlreadySucceeded = errors.New("payment already succeeded")
	// ErrInvalidRequest: the provider refused the request itself (bad amount, unknown intent);
	// retrying cannot help.
	ErrInvalidRequest = errors.New("invalid payment request")
	// ErrNotFound: no such intent.
	ErrNotFound = errors.New("payment intent not found")
)

// Event is a provider notification about an intent (a Stripe webhook), already verified.
type Event struct {
	ID       string
	IntentID string
	OrderID  string // from the intent's metadata
	Status   Status
}
