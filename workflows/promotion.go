package workflows

import (
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

// AnnouncePromotionWorkflowName is the registered name of the promotion announcement workflow.
const AnnouncePromotionWorkflowName = "AnnouncePromotion"

// QueryAnnouncementProgress answers an announcement's AnnouncePromotionResult so far.
const QueryAnnouncementProgress = "progress"

// SignalAnnouncementStartsAt tells a waiting announcement the promotion's new start time (a
// time.Time); it wakes then and checks the promotion again.
const SignalAnnouncementStartsAt = "starts_at"

// Phases of an announcement, in AnnouncePromotionResult.Phase.
const (
	AnnouncementWaiting = "waiting" // until the promotion starts
	AnnouncementSending = "sending"
	AnnouncementDone    = "done"
)

// AnnouncementAnnounced is the Outcome of an announcement that went through every opted-in
// customer; any other Outcome is the activities.Promotion* status that stopped it.
const AnnouncementAnnounced = "announced"

// Defaults of AnnouncePromotionInput.
const (
	DefaultPromotionBatchSize     = 200
	DefaultAnnounceBatchesPerRun  = 10
	announceRecheckAfterClockSkew = time.Minute
)

// AnnouncePromotionWorkflowID is the workflow ID of a promotion's announcement, e.g.
// promotion-announce-42.
func AnnouncePromotionWorkflowID(promotionID int64) string {
	return "promotion-announce-" + strconv.FormatInt(promotionID, 10)
}

// AnnouncePromotionInput names the promotion and when to first look at it. Zero values take the
// defaults. Started, Cursor and Totals carry progress across continue-as-new.
type AnnouncePromotionInput struct {
	PromotionID int64
	// StartsAt is when the promotion starts, as its creator knew it; the workflow checks the
	// promotion then (zero: at once) and waits again if it was moved later.
	StartsAt time.Time
	// BatchSize is how many customers one AnnounceBatch activity tells; default 200.
	BatchSize int
	// BatchesPerRun is how many batches one run sends before continuing as new; default 10,
	// which keeps a run's history to about 40 events.
	BatchesPerRun int
	Started       bool   // the wait is over: the promotion had started when last checked
	Cursor        string // the last user id told; empty starts at the first
	Totals        AnnouncePromotionResult
}

// AnnouncePromotionResult adds up every run of an announcement; the progress query answers it
// as it stands.
type AnnouncePromotionResult struct {
	PromotionID int64
	Phase       string // AnnouncementWaiting, AnnouncementSending or AnnouncementDone
	// Outcome, once done, is AnnouncementAnnounced or why nothing more was sent
	// (activities.PromotionInactive, PromotionNotAnnounced, PromotionEnded, PromotionNotFound).
	Outcome   string
	Runs      int
	Batches   int
	Customers int // opted-in customers reached, each on its chosen channels
	// Sent, Duplicates (sent before: a retried batch, a rerun), Failed (refused for good) and
	// Skipped (channel not configured, or sms without a phone) count (customer, channel) pairs.
	Sent, Duplicates, Failed, Skipped int
	Cursor                            string
}

// AnnouncePromotion tells the customers who opted in to promotions of a new promotion: it
// sleeps (a workflow timer) until the promotion starts, checks the promotion is still active
// and to be announced, then goes through opted-in customers in user id order, BatchSize per
// AnnounceBatch activity, continuing as new every BatchesPerRun batches. Each send is
// idempotent under <user id>:promotion:<promotion id>:<channel> and paced per channel by the
// notification service's limiter, so a retried batch or a rerun of the whole announcement tells
// nobody twice. A promotion changed meanwhile ends the announcement without sending more.
func AnnouncePromotion(ctx workflow.Context, in AnnouncePromotionInput) (AnnouncePromotionResult, error) {
	in = in.withDefaults()
	res := in.Totals
	res.PromotionID = in.PromotionID
	res.Runs++
	if err := workflow.SetQueryHandler(ctx, QueryAnnouncementProgress, func() (AnnouncePromotionResult, error) { return res, nil }); err != nil {
		return res, err
	}
	starts := workflow.GetSignalChannel(ctx, SignalAnnouncementStartsAt)
	logger := workflow.GetLogger(ctx)
	batchCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// The notification rates pace a batch: 200 customers by SMS at Twilio's 1/s take over
		// three minutes; the heartbeat, not this bound, catches a dead worker.
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: 5 * time.Minute, NonRetryableErrorTypes: []string{"InvalidBatch"}},
	})
	var a *activities.Promotions
	for range in.BatchesPerRun {
		if !in.Started {
			res.Phase = AnnouncementWaiting
			status, err := waitForPromotionStart(ctx, a, in, starts)
			if err != nil {
				return res, err
			}
			if status != activities.PromotionReady {
				logger.Info("promotion not announced", "promotion_id", in.PromotionID, "status", status)
				res = finishAnnouncement(res, status, starts)
				return res, nil
			}
			in.Started = true
		}
		res.Phase = AnnouncementSending
		var b activities.AnnounceBatchResult
		if err := workflow.ExecuteActivity(batchCtx, a.AnnounceBatch,
			activities.AnnounceBatchInput{PromotionID: in.PromotionID, After: in.Cursor, Limit: in.BatchSize}).Get(ctx, &b); err != nil {
			return res, fmt.Errorf("announce promotion %d after %q: %w", in.PromotionID, in.Cursor, err)
		}
		switch b.Status {
		case activities.PromotionReady:
		case activities.PromotionNotYet: // moved later after sending began: wait for it again
			in.Started, in.StartsAt = false, time.Time{}
			continue
		default:
			logger.Info("promotion announcement stopped", "promotion_id", in.PromotionID, "status", b.Status, "sent", res.Sent)
			res = finishAnnouncement(res, b.Status, starts)
			return res, nil
		}
		res.Batches++
		res.Customers += b.Customers
		res.Sent += b.Sent
		res.Duplicates += b.Duplicates
		res.Failed += b.Failed
		res.Skipped += b.Skipped
		if b.Customers > 0 {
			in.Cursor, res.Cursor = b.Last, b.Last
		}
		logger.Info("promotion announcement batch", "promotion_id", in.PromotionID, "batch", res.Batches,
			"customers", res.Customers, "sent", res.Sent, "duplicates", res.Duplicates, "failed", res.Failed, "skipped", res.Skipped)
		if b.Customers < in.BatchSize {
			res = finishAnnouncement(res, AnnouncementAnnounced, starts)
			return res, nil
		}
	}
	in.Totals = res
	drainStartSignals(starts)
	return res, workflow.NewContinueAsNewError(ctx, AnnouncePromotionWorkflowName, in)
}

// waitForPromotionStart sleeps until in.StartsAt (or a start time signaled meanwhile), then asks
// CheckPromotion whether the promotion may be announced; one moved later is waited for again.
// It returns the promotion's status once it is anything but not yet started.
func waitForPromotionStart(ctx workflow.Context, a *activities.Promotions, in AnnouncePromotionInput, starts workflow.ReceiveChannel) (string, error) {
	checkCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	})
	at := in.StartsAt
	for {
		if err := sleepUntilStart(ctx, &at, starts); err != nil {
			return "", err
		}
		var chk activities.CheckPromotionResult
		if err := workflow.ExecuteActivity(checkCtx, a.CheckPromotion, activities.CheckPromotionInput{PromotionID: in.PromotionID}).Get(ctx, &chk); err != nil {
			return "", fmt.Errorf("check promotion %d: %w", in.PromotionID, err)
		}
		if chk.Status != activities.PromotionNotYet {
			return chk.Status, nil
		}
		at = chk.StartsAt
		if now := workflow.Now(ctx); !at.After(now) {
			// The activity's clock says not yet, the workflow's says already: look again soon.
			at = now.Add(announceRecheckAfterClockSkew)
		}
	}
}

// sleepUntilStart waits until *at; a start time signaled meanwhile replaces *at, so a promotion
// moved earlier is announced at its new start.
func sleepUntilStart(ctx workflow.Context, at *time.Time, starts workflow.ReceiveChannel) error {
	for {
		d := at.Sub(workflow.Now(ctx))
		if d <= 0 {
			return nil
		}
		timerCtx, cancel := workflow.WithCancel(ctx)
		timer := workflow.NewTimer(timerCtx, d)
		fired := false
		var timerErr error
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(timer, func(f workflow.Future) { fired, timerErr = true, f.Get(ctx, nil) })
		sel.AddReceive(starts, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, at) })
		sel.Select(ctx)
		cancel()
		if fired {
			return timerErr
		}
	}
}

// finishAnnouncement marks res done with outcome; start times signaled to a finished
// announcement have nothing left to change.
func finishAnnouncement(res AnnouncePromotionResult, outcome string, starts workflow.ReceiveChannel) AnnouncePromotionResult {
	drainStartSignals(starts)
	res.Phase, res.Outcome = AnnouncementDone, outcome
	return res
}

func drainStartSignals(starts workflow.ReceiveChannel) {
	var t time.Time
	for starts.ReceiveAsync(&t) {
	}
}

func (in AnnouncePromotionInput) withDefaults() AnnouncePromotionInput {
	if in.BatchSize <= 0 {
		in.BatchSize = DefaultPromotionBatchSize
	}
	if in.BatchesPerRun <= 0 {
		in.BatchesPerRun = DefaultAnnounceBatchesPerRun
	}
	return in
}
