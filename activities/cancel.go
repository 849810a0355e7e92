package activities

import (
	"context"

	"go.temporal.io/sdk/temporal"

	"shopflow/audit"
	"shopflow/errs"
	"shopflow/store"
)

// ErrTypeCancellationNotFound: the cancellation a workflow runs for does not exist.
const ErrTypeCancellationNotFound = "CancellationNotFound"

// Cancellations are the steps of canceling placed lines (the CancelPlaced workflow) besides
// the refund itself (Refunds).
type Cancellations struct {
	Store *store.Store
}

// CancellationInput names a cancellation and who asked for it.
type CancellationInput struct {
	CancellationID string
	Actor          audit.Actor
}

// CancellationInfo is what the workflow needs of a cancellation.
type CancellationInfo struct {
	OrderID string
	Status  string
	Lines   []store.CancelLine
}

// LoadCancellation reads the cancellation.
func (a *Cancellations) LoadCancellation(ctx context.Context, in CancellationInput) (CancellationInfo, error) {
	c, err := a.Store.CancellationByID(ctx, in.CancellationID)
	if err != nil {
		return CancellationInfo{}, cancellationError(err)
	}
	return CancellationInfo{OrderID: c.OrderID, Status: c.Status, Lines: c.Lines}, nil
}

// RestockCancellation puts the canceled units back in stock (once).
func (a *Cancellations) RestockCancellation(ctx context.Context, in CancellationInput) error {
	return cancellationError(a.Store.RestockCancellation(audit.WithActor(ctx, in.Actor), in.CancellationID))
}

// CancellationRefundInput records the cancellation's refund and its state.
type CancellationRefundInput struct {
	CancellationID string
	RefundID       string
	Status         string // store.CancellationRequested or store.CancellationRefundFailed
	Actor          audit.Actor
}

// SetCancellationRefund records the cancellation's refund and whether the provider refused it.
func (a *Cancellations) SetCancellationRefund(ctx context.Context, in CancellationRefundInput) error {
	return cancellationError(a.Store.SetCancellationRefund(audit.WithActor(ctx, in.Actor), in.CancellationID, in.RefundID, in.Status))
}

// FinishCancellation completes the cancellation and notifies the customer and sellers.
func (a *Cancellations) FinishCancellation(ctx context.Context, in CancellationInput) error {
	return cancellationError(a.Store.FinishCancellation(audit.WithActor(ctx, in.Actor), in.CancellationID))
}

func cancellationError(err error) error {
	if err != nil && errs.CodeOf(err) == errs.NotFound {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeCancellationNotFound, err)
	}
	return err
}
