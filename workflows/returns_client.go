package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// Returns starts and steers return workflows for the API.
type Returns struct {
	Client    client.Client
	TaskQueue string
	// ShipWindow is how long an approved return waits for the goods (SHOPFLOW_RETURN_SHIP_WINDOW).
	ShipWindow time.Duration
}

func (r *Returns) startOptions(returnID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: ReturnWorkflowID(returnID), TaskQueue: r.TaskQueue,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE}
}

// Start starts the workflow of a return just recorded; one already running is left alone.
func (r *Returns) Start(ctx context.Context, returnID string) error {
	if r.Client == nil {
		return errors.New("start return workflow: no Temporal client")
	}
	_, err := r.Client.ExecuteWorkflow(ctx, r.startOptions(returnID), ReturnWorkflowName,
		ReturnInput{ReturnID: returnID, ShipWindow: r.ShipWindow})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start return workflow %s: %w", returnID, err)
	}
	return nil
}

// Step tells the return's workflow of a step the API took, starting the workflow first if
// it never started (Temporal was down when the return was requested).
func (r *Returns) Step(ctx context.Context, returnID string, ev ReturnEvent) error {
	if r.Client == nil {
		return errors.New("signal return workflow: no Temporal client")
	}
	_, err := r.Client.SignalWithStartWorkflow(ctx, ReturnWorkflowID(returnID), ReturnEventSignal, ev,
		r.startOptions(returnID), ReturnWorkflowName, ReturnInput{ReturnID: returnID, ShipWindow: r.ShipWindow})
	if err != nil {
		return fmt.Errorf("signal return workflow %s (%s): %w", returnID, ev.Status, err)
	}
	return nil
}

// RetryRefund asks the return's workflow to issue its refused refund again.
func (r *Returns) RetryRefund(ctx context.Context, returnID string, retry RetryRefund) error {
	if r.Client == nil {
		return errors.New("signal return workflow: no Temporal client")
	}
	if err := r.Client.SignalWorkflow(ctx, ReturnWorkflowID(returnID), "", RetryRefundSignal, retry); err != nil {
		return fmt.Errorf("retry refund of return %s: %w", returnID, err)
	}
	return nil
}
