package workflows

import (
	"errors"

	"go.temporal.io/sdk/workflow"
)

// ReturnWorkflowName is the return (RMA) workflow's registered type.
const ReturnWorkflowName = "Return"

// ReturnInput starts the workflow of one return request.
type ReturnInput struct {
	ReturnID string
}

// ReturnResult is how a return ended.
type ReturnResult struct {
	Status string
}

// Return runs one return request. (Scaffold: the returns issue fills it in.)
func Return(ctx workflow.Context, in ReturnInput) (ReturnResult, error) {
	return ReturnResult{}, errors.New("return workflow not implemented")
}
