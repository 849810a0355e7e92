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
	// DeliverOutboxSignal asks a running drain to look again before it finishes.
	DeliverOutboxSignal = "outbox-queued"
	// deliverOutboxRounds is how many signalled drains one run makes before continuing as new,
	// so a busy push workflow's history stays small.
	deliverOutboxRounds = 100
)

// DeliverOutboxPushWorkflowID is the one drain per task queue (per deployment) that workers
// start, or signal if it runs, as soon as outbox items are committed (worker.OutboxPush).
func DeliverOutboxPushWorkflowID(taskQueue string) string {
	return "notification-outbox-push-" + taskQueue
}

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
// run's batch budget is spent; the next run continues), then delivers notification files
// submitted by admins. Workers start it (or signal it, DeliverOutboxSignal) as
// DeliverOutboxPushWorkflowID(task queue) the moment items are committed, so an order notification goes out
// in about a second; a signal that arrives while it drains makes it drain again before it
// finishes (an item committed after its last batch query is not left for later). A one-minute
// Schedule with overlap skip runs it too, as the safety net for a missed push.
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
	deliverFiles := func() error {
		var files activities.DeliverFilesResult
		if err := workflow.ExecuteActivity(ctx, a.DeliverFiles, activities.DeliverFilesInput{Limit: in.FilesPerRun}).Get(ctx, &files); err != nil {
			return err
		}
		res.Files += files.Files
		return nil
	}
	// Version 1 delivers files in every round and reads pushes after them, so a push that
	// arrives while files are delivered is not left unread, and a busy push drain still
	// delivers files. Runs started before it keep their order of commands.
	filesEachRound := workflow.GetVersion(ctx, "deliver-files-each-round", workflow.DefaultVersion, 1) >= 1
	queued := workflow.GetSignalChannel(ctx, DeliverOutboxSignal)
	for round := 1; ; round++ {
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
		if filesEachRound {
			if err := deliverFiles(); err != nil {
				return res, err
			}
		}
		// Every push received so far is answered by one more round, however many there were.
		again := false
		for queued.ReceiveAsync(nil) {
			again = true
		}
		if !again {
			break
		}
		if round == deliverOutboxRounds {
			return res, workflow.NewContinueAsNewError(ctx, DeliverOutboxWorkflowName, in)
		}
	}
	if !filesEachRound {
		if err := deliverFiles(); err != nil {
			return res, err
		}
	}
	return res, nil
}
