package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"shopflow/errs"
	"shopflow/fraud"
	"shopflow/payment"
	"shopflow/store"
)

// Error types the checkout workflow matches on. They are non-retryable: retrying cannot fix them.
const (
	ErrTypePaymentInvalid = "PaymentInvalid"
	ErrTypeOrderNotFound  = "OrderNotFound"
)

// Checkout holds the checkout saga's dependencies; its methods are the saga's activities.
type Checkout struct {
	Store    *store.Store
	Payments payment.Provider
	// ReservationGrace is how long held stock outlives the payment timeout before the sweep may
	// release it, so a slow but live saga is never robbed of its stock.
	ReservationGrace time.Duration
	// Fraud screens orders before they are charged (ScreenOrder); nil allows every order.
	Fraud fraud.Screen
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (a *Checkout) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// ReserveInput names the order whose stock to hold.
type ReserveInput struct {
	OrderID        string
	PaymentTimeout time.Duration
}

// ReserveResult says whether the order's stock is held. Its JSON form is that of the
// store.ReserveResult it replaced, so recorded histories still decode.
type ReserveResult struct {
	Reserved bool
	// Status is the order's status after the step (awaiting_payment when reserved).
	Status string
	// CancelReason is set when the order was found canceled already.
	CancelReason string
	// Short lists the products that lacked stock (or are no longer for sale) when not reserved.
	Short []int64
	// Reason is the cancel reason when not reserved: out_of_stock, or promotion_unavailable
	// when the order's promotion had no use left. Empty in histories from before it existed,
	// where it means out_of_stock.
	Reason string `json:",omitempty"`
}

// ReserveInventory holds stock for every line of the order, or none.
func (a *Checkout) ReserveInventory(ctx context.Context, in ReserveInput) (ReserveResult, error) {
	r, err := a.Store.ReserveOrder(ctx, in.OrderID, a.now().Add(in.PaymentTimeout+a.ReservationGrace))
	if err != nil {
		return ReserveResult{}, classify(err)
	}
	return ReserveResult{Reserved: r.Reserved, Status: r.Status, CancelReason: r.CancelReason, Short: r.Short, Reason: r.Reason}, nil
}

// ChargeInput names the order to charge; the amount is read from the database, never passed in.
type ChargeInput struct {
	OrderID string
}

// ChargeResult is the payment intent after creating and confirming it.
type ChargeResult struct {
	IntentID    string
	Status      payment.Status
	DeclineCode string
}

// ChargePayment creates and confirms the order's payment with idempotency key
// "<order_id>:charge", so any number of retries charge at most once.
func (a *Checkout) ChargePayment(ctx context.Context, in ChargeInput) (ChargeResult, error) {
	amount, err := a.Store.OrderAmountOf(ctx, in.OrderID)
	if err != nil {
		return ChargeResult{}, classify(err)
	}
	if amount.TotalCents == 0 {
		// Nothing to charge (free products): providers refuse zero amounts, and there is no
		// money to take or give back.
		return ChargeResult{Status: payment.StatusSucceeded}, nil
	}
	intent, err := a.Payments.Charge(ctx, payment.ChargeRequest{
		OrderID:        in.OrderID,
		AmountCents:    amount.TotalCents,
		Currency:       amount.Currency,
		PaymentMethod:  amount.PaymentMethod,
		IdempotencyKey: in.OrderID + ":charge",
	})
	if errors.Is(err, payment.ErrInvalidRequest) {
		return ChargeResult{}, temporal.NewNonRetryableApplicationError("payment refused the request", ErrTypePaymentInvalid, err)
	}
	if err != nil {
		return ChargeResult{}, fmt.Errorf("charge order %s: %w", in.OrderID, err)
	}
	if err := a.record(ctx, in.OrderID, intent); err != nil {
		return ChargeResult{}, err
	}
	return ChargeResult{IntentID: intent.ID, Status: intent.Status, DeclineCode: intent.DeclineCode}, nil
}

// PaymentStatusInput names an intent to look at.
type PaymentStatusInput struct {
	OrderID  string
	IntentID string
}

// PaymentStatus reads an intent's state from the provider and records it. The saga asks at its
// payment timeout, so a payment that succeeded just before is kept, not canceled.
func (a *Checkout) PaymentStatus(ctx context.Context, in PaymentStatusInput) (ChargeResult, error) {
	intent, err := a.Payments.Get(ctx, in.IntentID)
	if err != nil {
		return ChargeResult{}, fmt.Errorf("read payment %s: %w", in.IntentID, err)
	}
	if err := a.record(ctx, in.OrderID, intent); err != nil {
		return ChargeResult{}, err
	}
	return ChargeResult{IntentID: intent.ID, Status: intent.Status, DeclineCode: intent.DeclineCode}, nil
}

// ConfirmInput names the paid order to place.
type ConfirmInput struct {
	OrderID string
}

// ConfirmResult says whether the order is placed; JSON-compatible with store.ConfirmResult.
type ConfirmResult struct {
	Placed bool
	// Status is the order's status when it was not placed by this call or an earlier one
	// (canceled: the money must go back).
	Status string
}

// ConfirmOrder places the order: stock taken, sale recorded, customer notified.
func (a *Checkout) ConfirmOrder(ctx context.Context, in ConfirmInput) (ConfirmResult, error) {
	r, err := a.Store.ConfirmOrder(ctx, in.OrderID)
	if err != nil {
		return ConfirmResult{}, classify(err)
	}
	return ConfirmResult{Placed: r.Placed, Status: r.Status}, nil
}

// VoidInput names the payment to undo.
type VoidInput struct {
	OrderID  string
	IntentID string
}

// VoidResult says how the payment was undone.
type VoidResult struct {
	Refunded bool
}

// VoidPayment cancels the order's payment, or refunds it when it was captured after all (a
// payment that succeeds after the order was canceled is refunded, never kept).
func (a *Checkout) VoidPayment(ctx context.Context, in VoidInput) (VoidResult, error) {
	intent, err := a.Payments.Cancel(ctx, in.IntentID, in.OrderID+":cancel")
	if errors.Is(err, payment.ErrAlreadySucceeded) {
		intent, err = a.Payments.Refund(ctx, in.IntentID, in.OrderID+":refund")
		if err != nil {
			return VoidResult{}, fmt.Errorf("refund payment %s of order %s: %w", in.IntentID, in.OrderID, err)
		}
		if err := a.record(ctx, in.OrderID, intent); err != nil {
			return VoidResult{}, err
		}
		return VoidResult{Refunded: true}, nil
	}
	if errors.Is(err, payment.ErrNotFound) {
		return VoidResult{}, nil // never created: nothing to undo
	}
	if err != nil {
		return VoidResult{}, fmt.Errorf("cancel payment %s of order %s: %w", in.IntentID, in.OrderID, err)
	}
	return VoidResult{}, a.record(ctx, in.OrderID, intent)
}

// ReleaseInput names the order to cancel and why.
type ReleaseInput struct {
	OrderID string
	Reason  string
}

// ReleaseResult says whether the order was canceled; JSON-compatible with store.ReleaseResult.
type ReleaseResult struct {
	Canceled bool
	// Status is the order's status afterwards; placed (or later) means it was not canceled.
	Status string
}

// ReleaseOrder puts the order's held stock back on sale and cancels the order with the reason.
func (a *Checkout) ReleaseOrder(ctx context.Context, in ReleaseInput) (ReleaseResult, error) {
	r, err := a.Store.ReleaseOrder(ctx, in.OrderID, in.Reason)
	if err != nil {
		return ReleaseResult{}, classify(err)
	}
	return ReleaseResult{Canceled: r.Canceled, Status: r.Status}, nil
}

// record stores the intent's state on the order's payment row.
func (a *Checkout) record(ctx context.Context, orderID string, intent payment.Intent) error {
	status := string(intent.Status)
	if intent.Refunded {
		status = "refunded"
	}
	return a.Store.RecordPayment(ctx, orderID, store.PaymentRecord{
		Provider: a.Payments.Name(), IntentID: intent.ID, Status: status,
		AmountCents: intent.AmountCents, Currency: intent.Currency, Note: intent.DeclineCode,
	})
}

// classify makes failures that no retry can fix non-retryable; everything else retries.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errs.Is(err, errs.NotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeOrderNotFound, err)
	}
	return err
}
