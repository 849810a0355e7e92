package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/payment"
	"shopflow/store"
)

// defaultPaymentTimeout applies when a caller starts a saga without one.
const defaultPaymentTimeout = 5 * time.Minute

// Checkout is the saga that turns a pending order into a placed one, or cancels it leaving no
// stock held and no money kept: reserve every line, screen the order for fraud (waiting for an
// admin's review when the screen asks for one), charge, wait for payment action if needed
// (until the payment timeout, a cancel, or the payment webhook), then confirm or compensate.
func Checkout(ctx workflow.Context, in CheckoutInput) (CheckoutResult, error) {
	if in.PaymentTimeout <= 0 {
		in.PaymentTimeout = defaultPaymentTimeout
	}
	if in.FraudReviewTimeout <= 0 {
		in.FraudReviewTimeout = defaultFraudReviewTimeout
	}
	s := &checkoutSaga{
		in:       in,
		step:     StepReserving,
		cancels:  workflow.NewBufferedChannel(ctx, 1),
		cancelCh: workflow.GetSignalChannel(ctx, SignalCancel),
		payCh:    workflow.GetSignalChannel(ctx, SignalPaymentResult),
		reviews:  workflow.NewBufferedChannel(ctx, 1),
	}
	if err := workflow.SetQueryHandler(ctx, QueryStep, func() (string, error) { return s.step, nil }); err != nil {
		return CheckoutResult{}, err
	}
	if err := s.handleCancelUpdates(ctx); err != nil {
		return CheckoutResult{}, err
	}
	if err := s.handleReviewUpdates(ctx); err != nil {
		return CheckoutResult{}, err
	}
	s.version = sagaVersion(ctx, in)
	res, err := s.run(ctx)
	return s.end(ctx, res, err)
}

type checkoutSaga struct {
	in CheckoutInput
	// version is the saga's code version for this history (cancelUpdateChange).
	version  workflow.Version
	step     string
	intentID string
	refunded bool
	// cancelReason is the first cancel's reason, from the update or the legacy signal;
	// cancels wakes the payment wait when one arrives.
	cancelReason string
	cancels      workflow.Channel
	// cancelCh is the legacy cancel signal, still honoured for sagas started before the update.
	cancelCh workflow.ReceiveChannel
	payCh    workflow.ReceiveChannel
	// review is the admin's fraud decision once one is accepted; reviews hands it to the
	// waiting saga; reviewed is the decision the saga acted on (store.FraudApproved or
	// store.FraudRejected).
	review   *FraudDecision
	reviews  workflow.Channel
	reviewed string
	// ended, result and failure are how the saga ended, for the cancel updates waiting on it.
	ended   bool
	result  CheckoutResult
	failure error
}

func (s *checkoutSaga) run(ctx workflow.Context) (CheckoutResult, error) {
	var a *activities.Checkout

	var reserved activities.ReserveResult
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, reserveOptions), a.ReserveInventory,
		activities.ReserveInput{OrderID: s.in.OrderID, PaymentTimeout: s.in.PaymentTimeout}).Get(ctx, &reserved)
	if err != nil {
		return s.compensate(ctx, failureReason(ctx, store.ReasonSystemError), err)
	}
	switch {
	case reserved.Status == store.OrderCanceled:
		// Decided already: canceled before the saga ran, or by this saga before a crash cut
		// its history short. Report the reason the database holds.
		return s.finish(ctx, CheckoutResult{Status: store.OrderCanceled, CancelReason: reserved.CancelReason})
	case !reserved.Reserved:
		reason := reserved.Reason
		if reason == "" { // histories from before Reason
			reason = store.ReasonOutOfStock
		}
		return s.compensate(ctx, reason, nil)
	}
	s.setStatus(ctx, store.OrderAwaitingPayment)
	if reason, ok := s.cancelRequested(); ok {
		return s.compensate(ctx, reason, nil)
	}
	if s.version >= screenedVersion || workflow.GetVersion(ctx, fraudScreenChange, workflow.DefaultVersion, 1) >= 1 {
		if goOn, res, err := s.screen(ctx); !goOn {
			return res, err
		}
	}

	s.step = StepCharging
	var charge activities.ChargeResult
	err = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, chargeOptions), a.ChargePayment,
		activities.ChargeInput{OrderID: s.in.OrderID}).Get(ctx, &charge)
	if err != nil {
		return s.compensate(ctx, failureReason(ctx, store.ReasonPaymentError), err)
	}
	s.intentID = charge.IntentID
	if reason, ok := s.cancelRequested(); ok {
		return s.compensate(ctx, reason, nil) // compensation refunds if the charge went through
	}
	switch charge.Status {
	case payment.StatusSucceeded:
		return s.confirm(ctx)
	case payment.StatusFailed, payment.StatusCanceled:
		return s.compensate(ctx, store.ReasonPaymentDeclined, nil)
	default: // requires_action or processing: the shopper or the bank still has to act
		return s.awaitPayment(ctx)
	}
}

// awaitPayment waits for the payment's outcome, a cancel, or the payment timeout. A payment
// signal is only a hint that something happened: the saga asks the provider, records what it
// says, and acts on that, so the payments row always matches the order and a wrong signal can
// neither place an unpaid order nor cancel a paid one.
func (s *checkoutSaga) awaitPayment(ctx workflow.Context) (CheckoutResult, error) {
	s.step = StepAwaitingPayment
	timerCtx, stopTimer := workflow.WithCancel(ctx)
	defer stopTimer()
	timer := workflow.NewTimer(timerCtx, s.in.PaymentTimeout)
	for {
		signalled, timedOut, cancelReason := false, false, ""
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(s.payCh, func(c workflow.ReceiveChannel, _ bool) {
			var r PaymentResult
			c.Receive(ctx, &r)
			if r.IntentID != "" && r.IntentID != s.intentID {
				workflow.GetLogger(ctx).Warn("payment result for another intent ignored", "intent", r.IntentID, "expected", s.intentID)
				return
			}
			signalled = true
		})
		sel.AddReceive(s.cancelCh, func(c workflow.ReceiveChannel, _ bool) {
			var r CancelRequest
			c.Receive(ctx, &r)
			s.noteCancel(cancelReasonOf(r))
			cancelReason = s.cancelReason
		})
		sel.AddReceive(s.cancels, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			cancelReason = s.cancelReason
		})
		sel.AddFuture(timer, func(workflow.Future) { timedOut = true })
		sel.Select(ctx)

		switch {
		case ctx.Err() != nil:
			return s.compensate(ctx, store.ReasonCanceledByOps, ctx.Err())
		case cancelReason != "":
			return s.compensate(ctx, cancelReason, nil) // compensation refunds a payment that went through
		case !signalled && !timedOut:
			continue
		}
		// Ask the provider. At the timeout this also catches a payment that succeeded a moment
		// ago with its webhook still in flight: it is kept, not canceled.
		var a *activities.Checkout
		var latest activities.ChargeResult
		err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, chargeOptions), a.PaymentStatus,
			activities.PaymentStatusInput{OrderID: s.in.OrderID, IntentID: s.intentID}).Get(ctx, &latest)
		switch {
		case err == nil && latest.Status == payment.StatusSucceeded:
			if reason, ok := s.cancelRequested(); ok && s.version >= 1 {
				return s.compensate(ctx, reason, nil) // a cancel that came while the saga asked: refund
			}
			return s.confirm(ctx)
		case err == nil && (latest.Status == payment.StatusFailed || latest.Status == payment.StatusCanceled):
			return s.compensate(ctx, store.ReasonPaymentDeclined, nil)
		case timedOut:
			return s.compensate(ctx, store.ReasonPaymentTimeout, nil)
		case err != nil:
			workflow.GetLogger(ctx).Warn("payment status unknown after a signal; still waiting", "err", err)
		}
	}
}

// confirm places the paid order.
func (s *checkoutSaga) confirm(ctx workflow.Context) (CheckoutResult, error) {
	s.step = StepConfirming
	var a *activities.Checkout
	var res activities.ConfirmResult
	err := s.runLong(ctx, confirmStep, a.ConfirmOrder, activities.ConfirmInput{OrderID: s.in.OrderID}, &res)
	if err != nil {
		return s.compensate(ctx, failureReason(ctx, store.ReasonSystemError), err)
	}
	if !res.Placed {
		// Canceled under us (an operator, or the expiry sweep after a very long outage): the
		// payment must not be kept.
		return s.compensate(ctx, store.ReasonReservationExpiry, nil)
	}
	s.step = StepPlaced
	s.setStatus(ctx, store.OrderPlaced)
	return CheckoutResult{Status: store.OrderPlaced, IntentID: s.intentID}, nil
}

// compensate undoes what the saga did, in reverse: void or refund the payment, then release the
// stock and cancel the order with reason. It runs on a disconnected context so that canceling
// the workflow cannot skip it. cause is returned when it was a cancellation of the workflow.
func (s *checkoutSaga) compensate(ctx workflow.Context, reason string, cause error) (CheckoutResult, error) {
	s.step = StepCompensating
	if cause != nil {
		workflow.GetLogger(ctx).Warn("checkout compensating", "order", s.in.OrderID, "reason", reason, "cause", cause)
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	released, err := s.undo(dctx, reason)
	if err != nil {
		return CheckoutResult{}, err
	}
	res := CheckoutResult{Status: store.OrderCanceled, CancelReason: reason, IntentID: s.intentID}
	if released.Status != store.OrderCanceled {
		res.Status = released.Status
	}
	if ctx.Err() != nil && cause != nil && temporal.IsCanceledError(cause) {
		s.step = StepCanceled
		s.setStatus(dctx, store.OrderCanceled)
		return res, cause
	}
	return s.finish(dctx, res)
}

// releaseFirstChange releases the order before undoing its payment: when confirming had
// committed after all (a confirm whose answer was lost, an operator's cancel during it), the
// order stays placed and its payment is kept, instead of being refunded under a placed order.
const releaseFirstChange = "release-before-refund"

// undo releases the stock and cancels the order, and voids or refunds its payment unless the
// order turned out placed.
func (s *checkoutSaga) undo(ctx workflow.Context, reason string) (activities.ReleaseResult, error) {
	var a *activities.Checkout
	var released activities.ReleaseResult
	release := func() error {
		recordCompensation(ctx, CompensationReleaseOrder)
		return s.runLong(ctx, compensateStep, a.ReleaseOrder, activities.ReleaseInput{OrderID: s.in.OrderID, Reason: reason}, &released)
	}
	void := func() error {
		if s.intentID == "" {
			return nil
		}
		recordCompensation(ctx, CompensationVoidPayment)
		var voided activities.VoidResult
		err := s.runLong(ctx, compensateStep, a.VoidPayment, activities.VoidInput{OrderID: s.in.OrderID, IntentID: s.intentID}, &voided)
		s.refunded = voided.Refunded
		return err
	}
	if workflow.GetVersion(ctx, releaseFirstChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		if err := void(); err != nil {
			return released, err
		}
		return released, release()
	}
	if err := release(); err != nil {
		return released, err
	}
	if released.Status == store.OrderPlaced {
		return released, nil // placed and paid: the money stays with the order
	}
	return released, void()
}

// finish records the final step and status.
func (s *checkoutSaga) finish(ctx workflow.Context, res CheckoutResult) (CheckoutResult, error) {
	s.step = StepCanceled
	if res.Status == store.OrderPlaced {
		s.step = StepPlaced
	}
	s.setStatus(ctx, res.Status)
	return res, nil
}

// setStatus shows the order's status in the Temporal UI's search attributes.
func (s *checkoutSaga) setStatus(ctx workflow.Context, status string) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchOrderStatus.ValueSet(status)); err != nil {
		workflow.GetLogger(ctx).Warn("search attribute not updated", "err", err)
	}
}

// failureReason is the cancel reason after a step failed: the operator's cancel if that was it.
func failureReason(ctx workflow.Context, otherwise string) string {
	if errors.Is(ctx.Err(), workflow.ErrCanceled) {
		return store.ReasonCanceledByOps
	}
	return otherwise
}

// workflowRegisterOptions registers Checkout under its stable name.
func workflowRegisterOptions() workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: CheckoutWorkflowName}
}
