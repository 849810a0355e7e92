package workflows

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// Ingests starts batch ingest workflows; the API and the CLI hold one.
type Ingests struct {
	Client    client.Client
	TaskQueue string
}

// Start starts the batch's ingest. Starting one that is running is a no-op, and so is starting
// one that completed: a batch is ingested once. A batch whose ingest failed starts again, and
// resumes at its last committed chunk.
func (i *Ingests) Start(ctx context.Context, batchID string) error {
	opts := client.StartWorkflowOptions{
		ID:                       IngestWorkflowID(batchID),
		TaskQueue:                i.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
	_, err := i.Client.ExecuteWorkflow(ctx, opts, IngestBatchWorkflowName, IngestBatchInput{BatchID: batchID})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil // completed already: the reuse policy refuses a second ingest of the batch
	}
	if err != nil {
		return fmt.Errorf("start ingest of batch %s: %w", batchID, err)
	}
	return nil
}
