package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"shopflow/audit"
	"shopflow/store"
)

// Refunds starts refund retries and cancellations of placed orders for the API.
type Refunds struct {
	Client    client.Client
	TaskQueue string
}

// CancelPlaced starts the workflow cancel-<id> of a recorded cancellation. Starting it again
// while it runs, or after, changes nothing (the ID is the cancellation's, never reused).
func (r *Refunds) CancelPlaced(ctx context.Context, cancellationID string, actor audit.Actor) error {
	if r.Client == nil {
		return errors.New("start cancellation workflow: no Temporal client")
	}
	_, err := r.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: CancelPlacedWorkflowID(cancellationID), TaskQueue: r.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, CancelPlacedWorkflowName, CancelPlacedInput{CancellationID: cancellationID, Actor: actor})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start cancellation workflow %s: %w", cancellationID, err)
	}
	return nil
}

// RetryRefund asks the workflow that owns a failed refund to issue it again: the return's
// (return-<return_id>) or the cancellation's (cancel-<cancellation_id>). When that workflow is
// gone, one attempt runs as IssueRefund (refund-<id>), so a refund is never stuck unretriable.
func (r *Refunds) RetryRefund(ctx context.Context, refund store.Refund, actor audit.Actor) error {
	if r.Client == nil {
		return errors.New("retry refund: no Temporal client")
	}
	owner := ""
	switch {
	case refund.Kind == store.RefundForReturn && refund.ReturnID != "":
		owner = ReturnWorkflowID(refund.ReturnID)
	case refund.Kind == store.RefundForCancel && strings.HasPrefix(refund.Key, "cancel:"):
		owner = CancelPlacedWorkflowID(strings.TrimPrefix(refund.Key, "cancel:"))
	}
	if owner != "" {
		err := r.Client.SignalWorkflow(ctx, owner, "", RetryRefundSignal, RetryRefund{Actor: actor})
		var notFound *serviceerror.NotFound
		if err == nil || !errors.As(err, &notFound) {
			if err != nil {
				return fmt.Errorf("retry refund %s: signal %s: %w", refund.ID, owner, err)
			}
			return nil
		}
	}
	_, err := r.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: IssueRefundWorkflowID(refund.ID), TaskQueue: r.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, IssueRefundWorkflowName, IssueRefundInput{RefundID: refund.ID, Actor: actor})
	if err != nil {
		return fmt.Errorf("retry refund %s: %w", refund.ID, err)
	}
	return nil
}
