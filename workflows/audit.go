package workflows

import (
	"errors"

	"go.temporal.io/sdk/workflow"
)

// AuditRetentionWorkflowName is the audit retention workflow's registered type.
const AuditRetentionWorkflowName = "AuditRetention"

// AuditRetentionInput says which audit records are old enough to leave Postgres.
type AuditRetentionInput struct{}

// AuditRetentionResult counts what a run exported and removed.
type AuditRetentionResult struct{}

// AuditRetention exports old audit records to report storage, then removes them. (Scaffold.)
func AuditRetention(ctx workflow.Context, in AuditRetentionInput) (AuditRetentionResult, error) {
	return AuditRetentionResult{}, errors.New("audit retention not implemented")
}
