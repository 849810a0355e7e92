package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/store"
)

// Names of the checkout workflow's messages. They are part of the workflow's contract with
// running executions: never rename one.
const (
	CheckoutWorkflowName = "Checkout"
	// SignalPaymentResult carries a PaymentResult from the payment webhook or the sandbox.
	SignalPaymentResult = "payment-result"
	// SignalCancel carried a CancelRequest before UpdateCancel replaced it; sagas still honour
	// it, for callers that have not moved on.
	SignalCancel = "cancel"
	// QueryStep answers the saga's current step (see Step* constants).
	QueryStep = "step"
)

// Saga steps reported by QueryStep.
const (
	StepReserving       = "reserving"
	StepScreening       = "screening"
	StepAwaitingReview  = "awaiting_review"
	StepCharging        = "charging"
	StepAwaitingPayment = "awaiting_payment"
	StepConfirming      = "confirming"
	StepCompensating    = "compensating"
	StepPlaced          = "placed"
	StepCanceled        = "canceled"
)

// Search attributes the checkout workflow keeps current, so operators can find an order's saga
// in the Temporal UI (e.g. OrderId = "..." or OrderStatus = "awaiting_payment").
var (
	SearchOrderID     = temporal.NewSearchAttributeKeyKeyword("OrderId")
	SearchCustomerID  = temporal.NewSearchAttributeKeyKeyword("CustomerId")
	SearchOrderStatus = temporal.NewSearchAttributeKeyKeyword("OrderStatus")
)

// SearchAttributes lists every custom search attribute Shopflow's workflows use, for the worker
// to register and for `temporal server start-dev --search-attribute`.
var SearchAttributes = map[string]enums.IndexedValueType{
	"OrderId":     enums.INDEXED_VALUE_TYPE_KEYWORD,
	"CustomerId":  enums.INDEXED_VALUE_TYPE_KEYWORD,
	"OrderStatus": enums.INDEXED_VALUE_TYPE_KEYWORD,
}

// CheckoutWorkflowID is the workflow ID of an order's checkout saga: one per order, ever.
func CheckoutWorkflowID(orderID string) string { return "checkout-" + orderID }

// CheckoutInput starts a checkout saga for an order already written as pending.
type CheckoutInput struct {
	OrderID    string
	CustomerID string
	// PaymentTimeout bounds the wait for a payment that needs action (3-D Secure).
	PaymentTimeout time.Duration
	// FraudReviewTimeout bounds the wait for an admin's fraud review; the order is canceled
	// fraud_review_timeout after it. Zero takes the saga's default (24h).
	FraudReviewTimeout time.Duration `json:",omitempty"`
	// Version is the saga's code version, chosen by its starter (Start: screenedVersion) and
	// kept in the start event, so a new saga records no version marker (see sagaVersion). Zero
	// for sagas started before it, which ask workflow.GetVersion as they were recorded.
	Version workflow.Version `json:",omitempty"`
}

// CheckoutResult is how the saga ended.
type CheckoutResult struct {
	Status       string // placed or canceled
	CancelReason string
	IntentID     string
}

// PaymentResult is the outcome of a payment that needed action.
type PaymentResult struct {
	IntentID string
	Status   string // a payment.Status: succeeded, failed, canceled
}

// CancelRequest asks the saga to cancel the order before it is placed.
type CancelRequest struct {
	Reason string // store.ReasonCanceledByUser or store.ReasonCanceledByAdmin
}

// Checkouts starts and steers checkout sagas; the API holds one.
type Checkouts struct {
	Client         client.Client
	TaskQueue      string
	PaymentTimeout time.Duration
	// FraudReviewTimeout is how long sagas wait for an admin's fraud review.
	FraudReviewTimeout time.Duration
	// EagerStart asks for eager workflow start: when Client also runs a worker for TaskQueue
	// (shopflow dev), the server hands the saga's first workflow task back in the start
	// response and that worker runs it at once, skipping a task-queue dispatch and a poll, so
	// the server does less work per checkout; the price is a slower start call (the 202 waits
	// for the dispatch). Where the client runs no such worker (shopflow api alone) the start
	// is an ordinary one.
	EagerStart bool
}

// ErrNoSaga means the order's saga is not running (finished, or never started).
var ErrNoSaga = errors.New("checkout saga is not running")

// ErrCancelTooLate means the order was placed before the cancel could be honoured.
var ErrCancelTooLate = errors.New("the order is placed already: too late to cancel")

// Start starts the order's saga. Starting one that already exists, running or finished, is a
// no-op, so a retried request can call Start again safely.
func (c *Checkouts) Start(ctx context.Context, orderID, customerID string) error {
	opts := client.StartWorkflowOptions{
		ID:                       CheckoutWorkflowID(orderID),
		TaskQueue:                c.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		EnableEagerStart:         c.EagerStart,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			SearchOrderID.ValueSet(orderID), SearchCustomerID.ValueSet(customerID), SearchOrderStatus.ValueSet("pending")),
	}
	_, err := c.Client.ExecuteWorkflow(ctx, opts, CheckoutWorkflowName,
		CheckoutInput{OrderID: orderID, CustomerID: customerID, PaymentTimeout: c.PaymentTimeout,
			FraudReviewTimeout: c.FraudReviewTimeout, Version: screenedVersion})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil // finished already: the reuse policy refuses a second saga for the order
	}
	if err != nil {
		return fmt.Errorf("start checkout for order %s: %w", orderID, err)
	}
	return nil
}

// cancelUpdateID is the ID of an order's cancel update: one per saga, so a caller that lost
// its answer (a timeout, a retried request) asks again and gets the same cancel's outcome.
const cancelUpdateID = "cancel"

// CancelOrder asks the order's running saga to cancel it and waits for the outcome: canceled
// (refunded if the money was taken), or ErrCancelTooLate with the order placed. ErrNoSaga means
// no saga is running (never started, or finished: the order's row says how it ended). Any
// other error means Temporal could not be asked or did not answer before ctx ended; asking
// again is safe and answers the same cancel.
func (c *Checkouts) CancelOrder(ctx context.Context, orderID, reason string) (CancelOutcome, error) {
	out, err := c.cancelOnce(ctx, orderID, reason)
	for retry := time.Duration(0); isNotReady(err); {
		// The workflow task that held the update failed (a signal raced the saga's completion,
		// or a worker crashed): the update was not taken. Asking again under the same update
		// ID is safe; it is taken once.
		retry = min(2*retry+50*time.Millisecond, 2*time.Second)
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return CancelOutcome{}, fmt.Errorf("cancel checkout of order %s: %w (%w)", orderID, ctx.Err(), err)
		case <-t.C:
		}
		out, err = c.cancelOnce(ctx, orderID, reason)
	}
	switch {
	case err == nil && !out.Canceled: // placed (or later) before the cancel could be honoured
		return out, ErrCancelTooLate
	case err == nil:
		return out, nil
	case isTooLate(err):
		return CancelOutcome{Status: store.OrderPlaced}, ErrCancelTooLate
	case isNotFound(err), checkoutFailed(err):
		// No saga will settle it: the caller reads the order's row instead (and the failed
		// saga shows in the Temporal UI for an operator), rather than retrying for ever.
		return CancelOutcome{}, ErrNoSaga
	}
	return CancelOutcome{}, fmt.Errorf("cancel checkout of order %s: %w", orderID, err)
}

// cancelOnce sends the cancel update and waits for its outcome.
func (c *Checkouts) cancelOnce(ctx context.Context, orderID, reason string) (CancelOutcome, error) {
	h, err := c.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   CheckoutWorkflowID(orderID),
		UpdateID:     cancelUpdateID,
		UpdateName:   UpdateCancel,
		Args:         []any{CancelRequest{Reason: reason}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return CancelOutcome{}, err
	}
	var out CancelOutcome
	err = h.Get(ctx, &out)
	return out, err
}

// Cancel asks the order's running saga to cancel it and waits until it has: nil when the order
// ended canceled, ErrCancelTooLate when it was placed first. CancelOrder says more.
func (c *Checkouts) Cancel(ctx context.Context, orderID, reason string) error {
	_, err := c.CancelOrder(ctx, orderID, reason)
	return err
}

// PaymentResult tells the order's running saga how its pending payment ended.
func (c *Checkouts) PaymentResult(ctx context.Context, orderID string, r PaymentResult) error {
	return c.signal(ctx, orderID, SignalPaymentResult, r)
}

// Step asks the order's saga which step it is in.
func (c *Checkouts) Step(ctx context.Context, orderID string) (string, error) {
	v, err := c.Client.QueryWorkflow(ctx, CheckoutWorkflowID(orderID), "", QueryStep)
	if err != nil {
		return "", fmt.Errorf("query checkout step of order %s: %w", orderID, err)
	}
	var step string
	if err := v.Get(&step); err != nil {
		return "", fmt.Errorf("decode checkout step: %w", err)
	}
	return step, nil
}

func (c *Checkouts) signal(ctx context.Context, orderID, name string, arg any) error {
	err := c.Client.SignalWorkflow(ctx, CheckoutWorkflowID(orderID), "", name, arg)
	if isNotFound(err) {
		return ErrNoSaga
	}
	if err != nil {
		return fmt.Errorf("signal %s to checkout of order %s: %w", name, orderID, err)
	}
	return nil
}

// isNotFound reports the server's answer for a workflow that does not exist or has completed.
func isNotFound(err error) bool {
	var notFound *serviceerror.NotFound
	return errors.As(err, &notFound)
}

// isNotReady reports an update the server could not hand to the workflow.
func isNotReady(err error) bool {
	var notReady *serviceerror.WorkflowNotReady
	return errors.As(err, &notReady)
}

// isTooLate reports a cancel update rejected because the order is placed.
// ErrTypeCheckoutFailed is the cancel update's error when the saga itself failed before it
// settled the order: no saga is left to ask, and the order's row says where it stands.
const ErrTypeCheckoutFailed = "CheckoutFailed"

func checkoutFailed(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == ErrTypeCheckoutFailed
}

func isTooLate(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == ErrTypeCancelTooLate
}

// ErrNotInReview means the order's saga is not waiting for a fraud review: it was never sent
// to one, or the review is over (decided, canceled, timed out).
var ErrNotInReview = errors.New("the order is not waiting for a fraud review")

// ErrBadReview means the decision is neither ReviewApprove nor ReviewReject.
var ErrBadReview = errors.New("a review decision is approve or reject")

// reviewUpdateID is the ID of an order's fraud review update: one decision per saga, so a
// caller that lost its answer asks again and is told the same decision's outcome.
const reviewUpdateID = "fraud-review"

// ReviewOrder hands an admin's decision to the order's saga waiting for a fraud review and
// waits until the saga has acted on it: approved (the saga goes on to charge) or rejected (the
// order canceled, its stock released, nothing charged). ErrNotInReview when the saga is not
// waiting for one; ErrNoSaga when no saga runs.
func (c *Checkouts) ReviewOrder(ctx context.Context, orderID string, d FraudDecision) (ReviewOutcome, error) {
	out, err := c.reviewOnce(ctx, orderID, d)
	for retry := time.Duration(0); isNotReady(err); {
		retry = min(2*retry+50*time.Millisecond, 2*time.Second)
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return ReviewOutcome{}, fmt.Errorf("review order %s: %w (%w)", orderID, ctx.Err(), err)
		case <-t.C:
		}
		out, err = c.reviewOnce(ctx, orderID, d)
	}
	var app *temporal.ApplicationError
	switch {
	case err == nil:
		return out, nil
	case errors.As(err, &app) && app.Type() == ErrTypeNotInReview:
		return ReviewOutcome{}, ErrNotInReview
	case errors.As(err, &app) && app.Type() == ErrTypeBadReview:
		return ReviewOutcome{}, ErrBadReview
	case isNotFound(err), checkoutFailed(err):
		return ReviewOutcome{}, ErrNoSaga
	}
	return ReviewOutcome{}, fmt.Errorf("review order %s: %w", orderID, err)
}

// reviewOnce sends the review update and waits for its outcome.
func (c *Checkouts) reviewOnce(ctx context.Context, orderID string, d FraudDecision) (ReviewOutcome, error) {
	h, err := c.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   CheckoutWorkflowID(orderID),
		UpdateID:     reviewUpdateID,
		UpdateName:   UpdateFraudReview,
		Args:         []any{d},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return ReviewOutcome{}, err
	}
	var out ReviewOutcome
	err = h.Get(ctx, &out)
	return out, err
}
