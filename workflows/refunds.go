package workflows

import (
	"errors"

	"go.temporal.io/sdk/workflow"
)

// Registered types of the refund and cancel-after-placing workflows.
const (
	IssueRefundWorkflowName  = "IssueRefund"
	CancelPlacedWorkflowName = "CancelPlaced"
)

// IssueRefundInput asks the provider for one recorded refund.
type IssueRefundInput struct {
	RefundID string
}

// IssueRefundResult is the refund's state after the attempt.
type IssueRefundResult struct {
	Status string
}

// IssueRefund issues one recorded refund through the payment provider. (Scaffold.)
func IssueRefund(ctx workflow.Context, in IssueRefundInput) (IssueRefundResult, error) {
	return IssueRefundResult{}, errors.New("refund workflow not implemented")
}

// CancelPlacedInput cancels a placed order or some of its lines.
type CancelPlacedInput struct {
	CancellationID string
}

// CancelPlacedResult is how the cancellation ended.
type CancelPlacedResult struct {
	Status string
}

// CancelPlaced cancels placed lines: refund, restock, notify. (Scaffold.)
func CancelPlaced(ctx workflow.Context, in CancelPlacedInput) (CancelPlacedResult, error) {
	return CancelPlacedResult{}, errors.New("cancel workflow not implemented")
}
