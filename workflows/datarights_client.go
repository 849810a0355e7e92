package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"shopflow/audit"
)

// DataRights starts customers' data exports and erasures for the API.
type DataRights struct {
	Client    client.Client
	TaskQueue string
	// LinkTTL is how long an export's download link works (SHOPFLOW_EXPORT_LINK_TTL).
	LinkTTL time.Duration
}

// StartExport starts the workflow export-<id> building the recorded export. Starting it again
// (a retried request) finds the one started before.
func (d *DataRights) StartExport(ctx context.Context, exportID string) error {
	opts := client.StartWorkflowOptions{
		ID:                       ExportWorkflowID(exportID),
		TaskQueue:                d.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
	_, err := d.Client.ExecuteWorkflow(ctx, opts, ExportCustomerDataWorkflowName,
		ExportCustomerDataInput{ExportID: exportID, LinkTTL: d.LinkTTL})
	if err != nil && !alreadyStarted(err) {
		return fmt.Errorf("start export %s: %w", exportID, err)
	}
	return nil
}

// StartErasure starts the workflow erase-<user id>. A running one is used as it is; one that
// failed (or was terminated) may run again and resumes from the steps its row records; one
// that finished is not run again.
func (d *DataRights) StartErasure(ctx context.Context, userID string, actor audit.Actor) error {
	opts := client.StartWorkflowOptions{
		ID:                       EraseWorkflowID(userID),
		TaskQueue:                d.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
	_, err := d.Client.ExecuteWorkflow(ctx, opts, EraseCustomerWorkflowName, EraseCustomerInput{UserID: userID, Actor: actor})
	if err != nil && !alreadyStarted(err) {
		return fmt.Errorf("start erasure of %s: %w", userID, err)
	}
	return nil
}

// alreadyStarted reports a start refused because the workflow ran (or runs) already.
func alreadyStarted(err error) bool {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.As(err, &started)
}
