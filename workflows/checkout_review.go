package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/audit"
	"shopflow/store"
)

// fraudScreenChange versions the fraud screen between reserving and charging. Histories
// recorded before it go straight to charging. New sagas screen by screenedVersion and no
// longer record it.
const fraudScreenChange = "fraud-screen"

// defaultFraudReviewTimeout applies when a saga is started without a review timeout (by a
// sweep scheduled before the field existed).
const defaultFraudReviewTimeout = 24 * time.Hour

// UpdateFraudReview carries an admin's FraudDecision on an order waiting for a fraud review and
// answers with a ReviewOutcome.
const UpdateFraudReview = "fraud-review"

// Error types of a refused fraud review update.
const (
	// ErrTypeNotInReview: the saga is not waiting for a review (never sent to one, decided
	// already, or canceled).
	ErrTypeNotInReview = "NotInReview"
	// ErrTypeBadReview: the decision is neither approve nor reject.
	ErrTypeBadReview = "BadReview"
)

// Review decisions an admin sends.
const (
	ReviewApprove = "approve"
	ReviewReject  = "reject"
)

// FraudDecision is an admin's decision on an order in review.
type FraudDecision struct {
	Decision   string // ReviewApprove or ReviewReject
	ReviewerID string
	Note       string
	// Actor is the admin who decided, for the audit record of the order's change.
	Actor audit.Actor
}

// ReviewOutcome is what became of the order after the decision.
type ReviewOutcome struct {
	// Decision is the decision the saga acted on: store.FraudApproved or store.FraudRejected;
	// empty when the review ended otherwise first (a cancel, the timeout) and Status says how.
	Decision string
	// Status is the order's status: awaiting_payment once approved (the saga charges it next),
	// canceled once rejected.
	Status string
	// Reason is the cancel reason when the order is canceled.
	Reason string
}

// screenOptions: screening is a query and a write (or a provider's call): retry briskly, and
// give up after a minute rather than hold the checkout.
var screenOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 10 * time.Second, ScheduleToCloseTimeout: time.Minute,
	RetryPolicy: &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 5 * time.Second,
		NonRetryableErrorTypes: []string{activities.ErrTypeOrderNotFound}},
}

// reviewRecordOptions: recording a reviewer's decision retries as reserving does.
var reviewRecordOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 10 * time.Second, ScheduleToCloseTimeout: 2 * time.Minute,
	RetryPolicy: &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second,
		NonRetryableErrorTypes: []string{activities.ErrTypeOrderNotFound, activities.ErrTypeReviewConflict}},
}

// screen screens the reserved order for fraud before anything is charged. It reports whether
// the saga goes on to charge; when not, res and err are how the saga ended. Allowed orders go
// on; rejected ones are canceled fraud_suspected; orders for review wait for an admin while
// their stock stays held. A screen that cannot run (a provider down for a minute) lets the
// order through, logged: the payment provider still checks the charge, and a screen outage
// must not stop every sale.
func (s *checkoutSaga) screen(ctx workflow.Context) (goOn bool, res CheckoutResult, err error) {
	s.step = StepScreening
	var a *activities.Checkout
	var verdict activities.ScreenResult
	err = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, screenOptions), a.ScreenOrder,
		activities.ScreenInput{OrderID: s.in.OrderID, ReviewTimeout: s.in.FraudReviewTimeout, PaymentTimeout: s.in.PaymentTimeout}).
		Get(ctx, &verdict)
	switch {
	case err != nil && (ctx.Err() != nil || !worthHandingOver(ctx, err)):
		res, err = s.compensate(ctx, failureReason(ctx, store.ReasonSystemError), err)
		return false, res, err
	case err != nil:
		workflow.GetLogger(ctx).Error("fraud screen failed; the order goes on unscreened", "order", s.in.OrderID, "err", err)
		return true, CheckoutResult{}, nil
	}
	if reason, ok := s.cancelRequested(); ok {
		res, err = s.compensate(ctx, reason, nil)
		return false, res, err
	}
	switch verdict.Decision {
	case store.FraudReject:
		workflow.GetLogger(ctx).Info("order rejected by the fraud screen", "order", s.in.OrderID, "score", verdict.Score, "rules", verdict.Rules)
		res, err = s.compensate(ctx, store.ReasonFraudSuspected, nil)
		return false, res, err
	case store.FraudReview:
		return s.awaitReview(ctx)
	}
	return true, CheckoutResult{}, nil
}

// awaitReview waits for an admin's decision, a cancel, or the review timeout, with the
// order's stock held (the screen extended its expiry) and nothing charged.
func (s *checkoutSaga) awaitReview(ctx workflow.Context) (goOn bool, res CheckoutResult, err error) {
	s.step = StepAwaitingReview
	timerCtx, stopTimer := workflow.WithCancel(ctx)
	defer stopTimer()
	timer := workflow.NewTimer(timerCtx, s.in.FraudReviewTimeout)
	var decision *FraudDecision
	cancelReason := ""
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(s.reviews, func(c workflow.ReceiveChannel, _ bool) {
		var d FraudDecision
		c.Receive(ctx, &d)
		decision = &d
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
	sel.AddFuture(timer, func(workflow.Future) {})
	sel.Select(ctx)

	switch {
	case ctx.Err() != nil:
		res, err = s.compensate(ctx, store.ReasonCanceledByOps, ctx.Err())
		return false, res, err
	case cancelReason != "":
		res, err = s.compensate(ctx, cancelReason, nil)
		return false, res, err
	case decision == nil:
		res, err = s.compensate(ctx, store.ReasonFraudReviewTimeout, nil)
		return false, res, err
	}
	approve := decision.Decision == ReviewApprove
	var a *activities.Checkout
	var recorded activities.FraudReviewResult
	if err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, reviewRecordOptions), a.RecordFraudReview,
		activities.FraudReviewInput{OrderID: s.in.OrderID, ReviewerID: decision.ReviewerID, Approve: approve, Note: decision.Note,
			Actor: decision.Actor}).
		Get(ctx, &recorded); err != nil {
		// The decision stands: the order's row misses who made it, the log keeps it.
		workflow.GetLogger(ctx).Warn("fraud review not recorded on the order", "order", s.in.OrderID,
			"reviewer", decision.ReviewerID, "decision", decision.Decision, "err", err)
	}
	if !approve {
		s.reviewed = store.FraudRejected
		res, err = s.compensate(ctx, store.ReasonFraudRejected, nil)
		return false, res, err
	}
	s.reviewed = store.FraudApproved
	if reason, ok := s.cancelRequested(); ok {
		res, err = s.compensate(ctx, reason, nil)
		return false, res, err
	}
	return true, CheckoutResult{}, nil
}

// handleReviewUpdates lets admins decide orders in review through UpdateFraudReview.
func (s *checkoutSaga) handleReviewUpdates(ctx workflow.Context) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateFraudReview, s.reviewUpdate,
		workflow.UpdateHandlerOptions{Validator: s.validateReview})
}

// validateReview refuses a decision that is not one, or that comes when the saga is not
// waiting for one. It must not change the saga.
func (s *checkoutSaga) validateReview(_ workflow.Context, d FraudDecision) error {
	if d.Decision != ReviewApprove && d.Decision != ReviewReject {
		return temporal.NewApplicationError("a review decision is approve or reject, got "+d.Decision, ErrTypeBadReview)
	}
	if s.step != StepAwaitingReview || s.review != nil || s.cancelReason != "" {
		return temporal.NewApplicationError("the order is not waiting for a fraud review (step "+s.step+")", ErrTypeNotInReview)
	}
	return nil
}

// reviewUpdate hands the decision to the waiting saga and answers once the saga has acted on
// it: after an approval, as the saga goes on to charge; after a rejection, once the order is
// canceled with its stock released. It waits on a disconnected context, as cancelUpdate does.
func (s *checkoutSaga) reviewUpdate(ctx workflow.Context, d FraudDecision) (ReviewOutcome, error) {
	s.review = &d
	s.reviews.SendAsync(d)
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if err := workflow.Await(dctx, func() bool { return s.ended || s.reviewed == store.FraudApproved }); err != nil {
		return ReviewOutcome{}, err
	}
	if !s.ended {
		return ReviewOutcome{Decision: store.FraudApproved, Status: store.OrderAwaitingPayment}, nil
	}
	if s.result.Status == "" {
		return ReviewOutcome{}, temporal.NewApplicationError("the checkout failed before it settled the order", ErrTypeCheckoutFailed, s.failure)
	}
	return ReviewOutcome{Decision: s.reviewed, Status: s.result.Status, Reason: s.result.CancelReason}, nil
}
