package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/store"
)

// UpdateCancel asks the saga to cancel its order and answers with the outcome once it is
// known (a CancelOutcome). It replaced SignalCancel, which promised nothing: a cancel that
// came while the saga charged or confirmed was dropped.
const UpdateCancel = "cancel-order"

// ErrTypeCancelTooLate is the type of the error a cancel update is rejected with when the
// order is placed already.
const ErrTypeCancelTooLate = "CancelTooLate"

// cancelUpdateChange versions what came with the cancel update: a cancel noticed after the
// payment check of a 3-D Secure payment, and long steps handed over from local to regular
// activities. Histories recorded before it replay with neither.
const cancelUpdateChange = "cancel-update"

// screenedVersion, the cancelUpdateChange version new sagas record, also stands for the fraud
// screen: a new saga records one version marker instead of two (cancelUpdateChange, then
// fraudScreenChange), and the Go SDK upserts TemporalChangeVersion with every marker, one
// more visibility write per order for the Temporal server. Histories at version 1 still
// carry fraudScreenChange, or not, and replay as they were recorded.
const screenedVersion workflow.Version = 2

// sagaVersion is the saga's code version (cancelUpdateChange). A saga whose starter chose
// screenedVersion (CheckoutInput.Version) records no marker at all: the Go SDK upserts
// TemporalChangeVersion with every new marker, a visibility write per order on the Temporal
// server, and the start event already holds the choice. On
// replay such a saga looks for a marker only to follow a worker that predates the field: that
// worker ignored it and recorded its own version, which the history then has. Sagas started
// before the field (Version zero) ask GetVersion, as they always did.
func sagaVersion(ctx workflow.Context, in CheckoutInput) workflow.Version {
	if in.Version != screenedVersion {
		return workflow.GetVersion(ctx, cancelUpdateChange, workflow.DefaultVersion, screenedVersion)
	}
	if !workflow.IsReplaying(ctx) {
		return screenedVersion
	}
	// Replaying, GetVersion records nothing: it returns the history's marker, or DefaultVersion.
	if v := workflow.GetVersion(ctx, cancelUpdateChange, workflow.DefaultVersion, screenedVersion); v != workflow.DefaultVersion {
		return v
	}
	return screenedVersion
}

// CancelOutcome is how an order's cancel ended, as the saga settled it.
type CancelOutcome struct {
	// Canceled is true when the order ended canceled (by this request or, racing it, by the
	// saga itself: a decline or a payment timeout); false when it was placed first.
	Canceled bool
	// Refunded is true when money had been taken and was given back.
	Refunded bool
	// Status is the order's final status: canceled or placed.
	Status string
	// Reason is why the order was canceled, when it was.
	Reason string
}

// handleCancelUpdates lets customers and admins cancel through UpdateCancel. The validator
// refuses a cancel that cannot be honoured (the order is placed), so it never enters the
// history; an accepted one is honoured at the saga's next safe point and answered with the
// order's final state.
func (s *checkoutSaga) handleCancelUpdates(ctx workflow.Context) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateCancel, s.cancelUpdate,
		workflow.UpdateHandlerOptions{Validator: s.validateCancel})
}

// validateCancel refuses a cancel once the order is placed. It must not change the saga.
func (s *checkoutSaga) validateCancel(_ workflow.Context, _ CancelRequest) error {
	if s.step == StepPlaced {
		return temporal.NewApplicationError("the order is placed already: too late to cancel", ErrTypeCancelTooLate)
	}
	return nil
}

// cancelUpdate records the cancel for the saga and waits until the saga has ended, so the
// caller learns what happened rather than that it was asked. It waits on a disconnected
// context: an operator canceling the workflow still lets the compensation finish and the
// answer go out.
func (s *checkoutSaga) cancelUpdate(ctx workflow.Context, r CancelRequest) (CancelOutcome, error) {
	s.noteCancel(cancelReasonOf(r))
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if err := workflow.Await(dctx, func() bool { return s.ended }); err != nil {
		return CancelOutcome{}, err
	}
	if s.result.Status == "" {
		return CancelOutcome{}, temporal.NewApplicationError("the checkout failed before it settled the order", ErrTypeCheckoutFailed, s.failure)
	}
	if s.result.Status == store.OrderPlaced {
		return CancelOutcome{Status: store.OrderPlaced}, nil // confirming had committed: too late
	}
	return CancelOutcome{
		Canceled: s.result.Status == store.OrderCanceled, Refunded: s.refunded,
		Status: s.result.Status, Reason: s.result.CancelReason,
	}, nil
}

// noteCancel keeps the first cancel's reason and wakes a saga waiting for payment.
func (s *checkoutSaga) noteCancel(reason string) {
	if s.cancelReason != "" {
		return
	}
	s.cancelReason = reason
	s.cancels.SendAsync(struct{}{})
}

// cancelRequested reports a cancel that arrived, by update or by the legacy signal, while a
// step ran.
func (s *checkoutSaga) cancelRequested() (string, bool) {
	var r CancelRequest
	if s.cancelCh.ReceiveAsync(&r) {
		s.noteCancel(cancelReasonOf(r))
	}
	return s.cancelReason, s.cancelReason != ""
}

// end records how the saga ended and lets cancel updates waiting for it answer before the
// workflow closes; a workflow that closed under them would leave their callers an error
// instead of the outcome.
func (s *checkoutSaga) end(ctx workflow.Context, res CheckoutResult, err error) (CheckoutResult, error) {
	s.result, s.failure, s.ended = res, err, true
	recordCheckoutOutcome(ctx, res, err)
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if werr := workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) }); werr != nil {
		workflow.GetLogger(ctx).Warn("cancel updates unanswered", "err", werr)
	}
	return res, err
}

func cancelReasonOf(r CancelRequest) string {
	if r.Reason == store.ReasonCanceledByAdmin {
		return r.Reason
	}
	return store.ReasonCanceledByUser
}
