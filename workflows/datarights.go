package workflows

import (
	"errors"

	"go.temporal.io/sdk/workflow"
)

// Registered types of the data rights workflows.
const (
	ExportCustomerDataWorkflowName = "ExportCustomerData"
	EraseCustomerWorkflowName      = "EraseCustomer"
)

// ExportCustomerDataInput names the export to build.
type ExportCustomerDataInput struct {
	ExportID string
}

// ExportCustomerDataResult says where the archive is.
type ExportCustomerDataResult struct{}

// ExportCustomerData writes everything held about a customer to one archive. (Scaffold.)
func ExportCustomerData(ctx workflow.Context, in ExportCustomerDataInput) (ExportCustomerDataResult, error) {
	return ExportCustomerDataResult{}, errors.New("export not implemented")
}

// EraseCustomerInput names the erasure to run.
type EraseCustomerInput struct {
	ErasureID string
}

// EraseCustomerResult says what was done.
type EraseCustomerResult struct{}

// EraseCustomer removes or anonymises a customer's personal data everywhere. (Scaffold.)
func EraseCustomer(ctx workflow.Context, in EraseCustomerInput) (EraseCustomerResult, error) {
	return EraseCustomerResult{}, errors.New("erasure not implemented")
}
