package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/store"
)

// Names of the batch ingest workflows. They are part of the contract with running executions
// and Schedules: never rename one.
const (
	IngestBatchWorkflowName = "IngestBatch"
	IngestInboxWorkflowName = "IngestInbox"
	IngestInboxScheduleID   = "ingest-inbox"
)

// Defaults of the ingest workflows.
const (
	// DefaultChunksPerRun is how many chunks one run of IngestBatch ingests before it continues
	// as new, so a file of any size keeps every run's history small.
	DefaultChunksPerRun = 100
	// defaultInboxLimit bounds the files one inbox sweep takes; the next sweep takes the rest.
	defaultInboxLimit = 100
)

// IngestWorkflowID is the workflow ID of a batch's ingest: one per batch, and a batch is one
// per file content (its sha256 is unique), so the same file never runs twice.
func IngestWorkflowID(batchID string) string { return "ingest-" + batchID }

// IngestBatchInput names a registered batch to ingest.
type IngestBatchInput struct {
	BatchID string
	// ChunksPerRun overrides DefaultChunksPerRun (tests make it small).
	ChunksPerRun int
}

// IngestBatchResult is how a batch's ingest ended.
type IngestBatchResult struct {
	BatchID    string
	Status     string // completed
	LinesRead  int64
	Accepted   int64
	Duplicates int64
	Rejected   int64
	// ErrorPath is the error file, relative to SHOPFLOW_INGEST_DIR.
	ErrorPath string
}

var (
	// A chunk reads and commits up to SHOPFLOW_INGEST_CHUNK_LINES lines, heartbeating as it
	// goes, so a chunk on a worker that died is retried elsewhere within the heartbeat timeout.
	// It is safe to retry (it starts from the committed offset), so it retries through outages
	// for about half an hour; a file that cannot be read at all fails at once.
	ingestChunkOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			MaximumAttempts: 30, NonRetryableErrorTypes: []string{activities.ErrTypeBatchUnusable}},
	}
	ingestBookkeepingOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			MaximumAttempts: 30, NonRetryableErrorTypes: []string{activities.ErrTypeBatchUnusable}},
	}
	// Taking a file from the inbox copies it, heartbeating every few megabytes.
	inboxOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 5},
	}
)

// IngestBatch ingests a registered batch file chunk by chunk: each chunk's sales and the
// batch's new offset commit together, so the workflow (or a worker replacing a dead one)
// always resumes at the last committed chunk and counts nothing twice. When the file is all
// read, the chunks' error files are joined and the batch completes. It continues as new every
// ChunksPerRun chunks, so its history stays small whatever the file's size.
func IngestBatch(ctx workflow.Context, in IngestBatchInput) (IngestBatchResult, error) {
	perRun := in.ChunksPerRun
	if perRun <= 0 {
		perRun = DefaultChunksPerRun
	}
	var a *activities.Ingest
	chunkCtx := workflow.WithActivityOptions(ctx, ingestChunkOptions)
	for range perRun {
		var chunk activities.IngestChunkResult
		err := workflow.ExecuteActivity(chunkCtx, a.IngestChunk, activities.IngestChunkInput{BatchID: in.BatchID}).Get(ctx, &chunk)
		if err != nil {
			return IngestBatchResult{}, failIngest(ctx, in.BatchID, err)
		}
		if !chunk.Done {
			continue
		}
		var done activities.FinishIngestResult
		err = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ingestBookkeepingOptions), a.FinishIngest,
			activities.FinishIngestInput{BatchID: in.BatchID}).Get(ctx, &done)
		if err != nil {
			return IngestBatchResult{}, failIngest(ctx, in.BatchID, err)
		}
		return IngestBatchResult{BatchID: in.BatchID, Status: store.BatchCompleted, LinesRead: done.LinesRead, Accepted: done.Accepted,
			Duplicates: done.Duplicates, Rejected: done.Rejected, ErrorPath: done.ErrorPath}, nil
	}
	return IngestBatchResult{}, workflow.NewContinueAsNewError(ctx, IngestBatchWorkflowName, in)
}

// failIngest marks the batch failed with the cause, on a disconnected context so a canceled
// workflow still records it, and returns the cause. What was committed stays counted; starting
// the batch again resumes from there.
func failIngest(ctx workflow.Context, batchID string, cause error) error {
	reason := cause.Error()
	var appErr *temporal.ApplicationError
	if errors.As(cause, &appErr) {
		reason = appErr.Message()
	}
	if temporal.IsCanceledError(cause) {
		reason = "canceled"
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	var a *activities.Ingest
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(dctx, ingestBookkeepingOptions), a.FailIngest,
		activities.FailIngestInput{BatchID: batchID, Reason: reason}).Get(dctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("batch failed, and marking it failed failed too", "batch_id", batchID, "err", err)
	}
	return fmt.Errorf("ingest batch %s: %w", batchID, cause)
}

// IngestInboxInput tunes one inbox sweep; zero values take the defaults.
type IngestInboxInput struct {
	Limit int
}

// IngestInboxResult says what a sweep did.
type IngestInboxResult struct {
	Adopted  int      // files registered as batches (new or not)
	Rejected []string // files moved to rejected/, as "name: reason"
	Started  int      // batch workflows started
}

// IngestInbox is the scheduled sweep of the inbox directory: each file there is stored as a
// batch and moved to processed/ (or to rejected/ with the reason), then an IngestBatch child is
// started for every queued batch, which also starts the batches whose start failed earlier. The
// children are abandoned: they outlive the sweep, and one already running is left alone.
func IngestInbox(ctx workflow.Context, in IngestInboxInput) (IngestInboxResult, error) {
	if in.Limit <= 0 {
		in.Limit = defaultInboxLimit
	}
	ctx = workflow.WithActivityOptions(ctx, inboxOptions)
	var a *activities.Ingest
	var res IngestInboxResult

	var listed activities.ListInboxResult
	if err := workflow.ExecuteActivity(ctx, a.ListIngestInbox, activities.ListInboxInput{Limit: in.Limit}).Get(ctx, &listed); err != nil {
		return res, err
	}
	var failed []error
	for _, name := range listed.Files {
		var adopted activities.AdoptInboxFileResult
		err := workflow.ExecuteActivity(ctx, a.AdoptInboxFile, activities.AdoptInboxFileInput{Name: name}).Get(ctx, &adopted)
		switch {
		case err != nil:
			// Left in the inbox for the next sweep; the other files go ahead.
			failed = append(failed, fmt.Errorf("%s: %w", name, err))
		case adopted.Rejected != "":
			res.Rejected = append(res.Rejected, name+": "+adopted.Rejected)
		case !adopted.Gone:
			res.Adopted++
		}
	}

	var queued activities.QueuedIngestsResult
	if err := workflow.ExecuteActivity(ctx, a.QueuedIngests, activities.QueuedIngestsInput{Limit: in.Limit}).Get(ctx, &queued); err != nil {
		return res, err
	}
	for _, id := range queued.BatchIDs {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            IngestWorkflowID(id),
			WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
			ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
		})
		child := workflow.ExecuteChildWorkflow(cctx, IngestBatchWorkflowName, IngestBatchInput{BatchID: id})
		err := child.GetChildWorkflowExecution().Get(ctx, nil)
		if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			continue // running already, or finished
		}
		if err != nil {
			return res, err
		}
		res.Started++
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("%d inbox files not taken: %w", len(failed), errors.Join(failed...))
	}
	return res, nil
}
