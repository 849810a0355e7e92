package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/audit"
	"shopflow/store"
)

// Registered types of the refund and cancel-after-placing workflows.
const (
	IssueRefundWorkflowName  = "IssueRefund"
	CancelPlacedWorkflowName = "CancelPlaced"
	// QueryCancelState answers a CancelPlaced workflow's CancelPlacedResult so far.
	QueryCancelState = "state"
)

// IssueRefundWorkflowID is the workflow ID of one attempt run of a refund.
func IssueRefundWorkflowID(refundID string) string { return "refund-" + refundID }

// CancelPlacedWorkflowID is the workflow ID of a cancellation of placed lines.
func CancelPlacedWorkflowID(cancellationID string) string { return "cancel-" + cancellationID }

// CancelRefundKey is the idempotency key of a cancellation's refund.
func CancelRefundKey(cancellationID string) string { return "cancel:" + cancellationID }

// refundActivityOptions: database steps and provider calls are idempotent (refund keys, the
// refund's status under a row lock), so they retry until they get through; refusals come back
// as results or non-retryable errors, never as endless retries.
var refundActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second, ScheduleToCloseTimeout: 24 * time.Hour,
	RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
		MaximumAttempts:        dayOfAttempts,
		NonRetryableErrorTypes: []string{activities.ErrTypeRefundRefused, activities.ErrTypeCancellationNotFound}},
}

// IssueRefundInput asks the provider for one recorded refund.
type IssueRefundInput struct {
	RefundID string
	Actor    audit.Actor `json:",omitempty"`
}

// IssueRefundResult is the refund's state after the attempt.
type IssueRefundResult struct {
	Status        string
	FailureReason string `json:",omitempty"`
}

// IssueRefund issues one recorded refund through the payment provider: one attempt; a refusal
// leaves the refund failed (and retriable by running this again).
func IssueRefund(ctx workflow.Context, in IssueRefundInput) (IssueRefundResult, error) {
	ctx = workflow.WithActivityOptions(ctx, refundActivityOptions)
	var rf *activities.Refunds
	var res activities.IssueRefundActivityResult
	if err := workflow.ExecuteActivity(ctx, rf.IssueRefund, activities.IssueRefundActivityInput{RefundID: in.RefundID,
		Actor: in.Actor}).Get(ctx, &res); err != nil {
		return IssueRefundResult{}, err
	}
	return IssueRefundResult{Status: res.Status, FailureReason: res.FailureReason}, nil
}

// CancelPlacedInput cancels a placed order or some of its lines (already recorded, its lines
// already out of fulfilment: store.CreateCancellation).
type CancelPlacedInput struct {
	CancellationID string
	Actor          audit.Actor `json:",omitempty"`
}

// CancelPlacedResult is how the cancellation ended (or stands, through QueryCancelState).
type CancelPlacedResult struct {
	Status         string
	RefundID       string `json:",omitempty"`
	RefundAttempts int    `json:",omitempty"`
	RefundFailure  string `json:",omitempty"`
}

// CancelPlaced cancels placed lines: puts the units back in stock, records the refund (key
// cancel:<id>), issues the refund (waiting for RetryRefundSignal after each refusal, for as long as
// it takes: a refused refund is never dropped), then completes the cancellation and notifies
// the customer and the sellers.
func CancelPlaced(ctx workflow.Context, in CancelPlacedInput) (CancelPlacedResult, error) {
	ctx = workflow.WithActivityOptions(ctx, refundActivityOptions)
	res := CancelPlacedResult{Status: store.CancellationRequested}
	if err := workflow.SetQueryHandler(ctx, QueryCancelState, func() (CancelPlacedResult, error) { return res, nil }); err != nil {
		return res, err
	}
	var ca *activities.Cancellations
	var rf *activities.Refunds
	actor := in.Actor
	cin := activities.CancellationInput{CancellationID: in.CancellationID, Actor: actor}
	var c activities.CancellationInfo
	if err := workflow.ExecuteActivity(ctx, ca.LoadCancellation, cin).Get(ctx, &c); err != nil {
		return res, err
	}
	if c.Status == store.CancellationCompleted {
		res.Status = c.Status
		return res, nil
	}
	// The goods never left: they go back on the shelf first, whatever becomes of the refund.
	if err := workflow.ExecuteActivity(ctx, ca.RestockCancellation, cin).Get(ctx, nil); err != nil {
		return res, err
	}
	var created activities.CreateRefundResult
	if err := workflow.ExecuteActivity(ctx, rf.CreateRefund, activities.CreateRefundInput{OrderID: c.OrderID,
		Kind: store.RefundForCancel, Key: CancelRefundKey(in.CancellationID), Lines: refundLines(c.Lines), Actor: actor}).
		Get(ctx, &created); err != nil {
		return res, err
	}
	res.RefundID = created.RefundID
	if err := setCancellationRefund(ctx, in.CancellationID, created.RefundID, store.CancellationRequested, actor); err != nil {
		return res, err
	}
	retries := workflow.GetSignalChannel(ctx, RetryRefundSignal)
	for {
		res.RefundAttempts++
		var issued activities.IssueRefundActivityResult
		err := workflow.ExecuteActivity(ctx, rf.IssueRefund, activities.IssueRefundActivityInput{RefundID: created.RefundID,
			Actor: actor}).Get(ctx, &issued)
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.NonRetryable() {
			issued = activities.IssueRefundActivityResult{Status: store.RefundFailed, FailureReason: appErr.Message()}
		} else if err != nil {
			return res, err
		}
		if issued.Status == store.RefundSucceeded {
			break
		}
		res.Status, res.RefundFailure = store.CancellationRefundFailed, issued.FailureReason
		if err := setCancellationRefund(ctx, in.CancellationID, created.RefundID, store.CancellationRefundFailed, actor); err != nil {
			return res, err
		}
		var retry RetryRefund
		retries.Receive(ctx, &retry)
		if retry.Actor.AccountID != "" || retry.Actor.APIKeyID != "" {
			actor = retry.Actor
		}
	}
	if err := workflow.ExecuteActivity(ctx, ca.FinishCancellation, activities.CancellationInput{
		CancellationID: in.CancellationID, Actor: actor}).Get(ctx, nil); err != nil {
		return res, err
	}
	res.Status, res.RefundFailure = store.CancellationCompleted, ""
	return res, nil
}

func setCancellationRefund(ctx workflow.Context, id, refundID, status string, actor audit.Actor) error {
	var ca *activities.Cancellations
	return workflow.ExecuteActivity(ctx, ca.SetCancellationRefund, activities.CancellationRefundInput{
		CancellationID: id, RefundID: refundID, Status: status, Actor: actor}).Get(ctx, nil)
}

func refundLines(lines []store.CancelLine) []store.RefundLine {
	out := make([]store.RefundLine, len(lines))
	for i, l := range lines {
		out[i] = store.RefundLine{LineNo: l.LineNo, Quantity: l.Quantity}
	}
	return out
}
