package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

// Names of outbox delivery.
const (
	DeliverOutboxWorkflowName = "DeliverOutbox"
	DeliverOutboxScheduleID   = "notification-outbox"
)

// DeliverOutboxInput tunes one drain; zero values take the defaults.
type DeliverOutboxInput struct {
	BatchSize  int // items per activity; default 200
	MaxBatches int // batches per run, so one run's history stays small; default 50
	// FilesPerRun is how many submitted notification files one run delivers; default 5.
	FilesPerRun int
}

// DeliverOutboxResult counts what one drain did.
type DeliverOutboxResult struct {
	Sent, Failed, Retry int
	Files               int // notification files delivered
}

// DeliverOutbox drains queued notification_outbox items in batches until none is left (or the
// run's batch budget is spent; the next scheduled run continues), then delivers notification
// files submitted by admins. It runs on a one-minute
// Schedule with overlap skip, so an item waits at most about a minute plus the drain ahead of it.
func DeliverOutbox(ctx workflow.Context, in DeliverOutboxInput) (DeliverOutboxResult, error) {
	if in.BatchSize <= 0 {
		in.BatchSize = 200
	}
	if in.MaxBatches <= 0 {
		in.MaxBatches = 50
	}
	if in.FilesPerRun <= 0 {
		in.FilesPerRun = 5
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var a *activities.Notify
	var res DeliverOutboxResult
	var after int64
	for range in.MaxBatches {
		var b activities.DeliverOutboxResult
		if err := workflow.ExecuteActivity(ctx, a.DeliverOutbox, activities.DeliverOutboxInput{AfterID: after, Limit: in.BatchSize}).Get(ctx, &b); err != nil {
			return res, err
		}
		res.Sent += b.Sent
		res.Failed += b.Failed
		res.Retry += b.Retry
		if b.Items < in.BatchSize {
			break
		}
		after = b.LastID
	}
	var files activities.DeliverFilesResult
	if err := workflow.ExecuteActivity(ctx, a.DeliverFiles, activities.DeliverFilesInput{Limit: in.FilesPerRun}).Get(ctx, &files); err != nil {
		return res, err
	}
	res.Files = files.Files
	return res, nil
}
