package workflows

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

// SellerDigestWorkflowName is the registered name of the seller digest workflow.
const SellerDigestWorkflowName = "SellerDigest"

// Defaults of SellerDigestInput.
const (
	DefaultDigestBatchSize     = 500
	DefaultDigestConcurrency   = 4
	DefaultDigestSliceSize     = 50
	DefaultDigestBatchesPerRun = 1
)

// SellerDigestWorkflowID is the workflow ID of the digest of a day, e.g. digest-2026-11-20.
func SellerDigestWorkflowID(date string) string { return "digest-" + date }

// SellerDigestInput says which day to tell sellers about and how to pace it. Zero values take
// the defaults. Cursor and Totals carry progress across continue-as-new.
type SellerDigestInput struct {
	// Kind is what the digest is about: activities.DigestDaily ("" too: the day's sales, to
	// every seller) or activities.DigestRankChange (a rank that moved, to the sellers the hourly
	// ranking alerted).
	Kind string
	// Period is the report day, YYYY-MM-DD, for a daily digest (empty is the day before the run
	// started, UTC); for a rank change, the ranking period (FormatRankPeriod), required.
	Period      string
	BatchSize   int // sellers listed per batch; default 500
	Concurrency int // SendDigests activities in flight at once; default 4
	SliceSize   int // sellers per SendDigests activity; default 50
	// BatchesPerRun is how many batches one run handles before continuing as new; default 1,
	// which keeps a run's history to about 2 + 3*BatchSize/SliceSize events.
	BatchesPerRun int
	Cursor        string // the last seller id processed; empty starts at the first
	Totals        SellerDigestResult
}

// SellerDigestResult adds up every run of the digest.
type SellerDigestResult struct {
	Period string
	Runs   int
	activities.SendDigestsResult
}

// SellerDigest sends every seller its digest for Period: it lists sellers in id order in
// batches, sends each batch as slices with at most Concurrency activities in flight, and
// continues as new after BatchesPerRun batches with the cursor, so 100,000 sellers never
// overflow a history. Sending is idempotent per seller, day and channel (notify.Service), so
// the workflow may be rerun for the same day at will.
func SellerDigest(ctx workflow.Context, in SellerDigestInput) (SellerDigestResult, error) {
	in = in.withDefaults(workflow.GetInfo(ctx).WorkflowStartTime)
	if in.Period == "" {
		return SellerDigestResult{}, temporal.NewNonRetryableApplicationError("a rank-change digest needs its ranking period", "InvalidPeriod", nil)
	}
	res := in.Totals
	res.Period = in.Period
	res.Runs++
	listCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	})
	sendCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// Rate limits pace a slice: 50 sellers by email at SES's 14/s shared by 4 activities
		// take about 15 s; the heartbeat, not this bound, catches a dead worker.
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: 5 * time.Minute, NonRetryableErrorTypes: []string{"InvalidPeriod"}},
	})
	var a *activities.Digest
	for range in.BatchesPerRun {
		var page activities.ListDigestSellersResult
		if err := workflow.ExecuteActivity(listCtx, a.ListDigestSellers,
			activities.ListDigestSellersInput{Kind: in.Kind, Period: in.Period, After: in.Cursor, Limit: in.BatchSize}).Get(ctx, &page); err != nil {
			return res, fmt.Errorf("list sellers after %q: %w", in.Cursor, err)
		}
		if len(page.SellerIDs) == 0 {
			return res, nil
		}
		if err := sendBatch(sendCtx, a, in, page.SellerIDs, &res.SendDigestsResult); err != nil {
			return res, err
		}
		in.Cursor = page.SellerIDs[len(page.SellerIDs)-1]
		if len(page.SellerIDs) < in.BatchSize {
			return res, nil
		}
	}
	in.Totals = res
	return res, workflow.NewContinueAsNewError(ctx, SellerDigestWorkflowName, in)
}

// sendBatch sends one batch as slices of SliceSize sellers, never more than Concurrency at a
// time: a new slice starts only when one in flight finishes.
func sendBatch(ctx workflow.Context, a *activities.Digest, in SellerDigestInput, ids []string, total *activities.SendDigestsResult) error {
	sel := workflow.NewSelector(ctx)
	inFlight := 0
	var firstErr error
	wait := func() {
		sel.Select(ctx)
		inFlight--
	}
	for lo := 0; lo < len(ids); lo += in.SliceSize {
		if inFlight == in.Concurrency {
			wait()
		}
		slice := ids[lo:min(lo+in.SliceSize, len(ids))]
		f := workflow.ExecuteActivity(ctx, a.SendDigests, activities.SendDigestsInput{Kind: in.Kind, Period: in.Period, SellerIDs: slice})
		inFlight++
		sel.AddFuture(f, func(f workflow.Future) {
			var r activities.SendDigestsResult
			if err := f.Get(ctx, &r); err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("digests of sellers %s..%s: %w", slice[0], slice[len(slice)-1], err)
				}
				return
			}
			total.Sellers += r.Sellers
			total.Sent += r.Sent
			total.Duplicates += r.Duplicates
			total.Failed += r.Failed
			total.Skipped += r.Skipped
			total.Retry += r.Retry
		})
	}
	for inFlight > 0 {
		wait()
	}
	return firstErr
}

func (in SellerDigestInput) withDefaults(started time.Time) SellerDigestInput {
	if in.Period == "" && in.Kind != activities.DigestRankChange {
		in.Period = started.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	}
	if in.BatchSize <= 0 {
		in.BatchSize = DefaultDigestBatchSize
	}
	if in.Concurrency <= 0 {
		in.Concurrency = DefaultDigestConcurrency
	}
	if in.SliceSize <= 0 {
		in.SliceSize = DefaultDigestSliceSize
	}
	if in.BatchesPerRun <= 0 {
		in.BatchesPerRun = DefaultDigestBatchesPerRun
	}
	return in
}

// SellerDigestStartOptions starts the digest of date as workflow digest-<date>. A digest of
// that day already running is reused rather than doubled; a finished one may run again (it
// sends only what was not sent).
func SellerDigestStartOptions(date, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       SellerDigestWorkflowID(date),
		TaskQueue:                taskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
}

// StartSellerDigest starts (or joins) the digest of in.Period and returns its run.
func StartSellerDigest(ctx context.Context, c client.Client, taskQueue string, in SellerDigestInput) (client.WorkflowRun, error) {
	if in.Period == "" {
		return nil, fmt.Errorf("start seller digest: period is required")
	}
	run, err := c.ExecuteWorkflow(ctx, SellerDigestStartOptions(in.Period, taskQueue), SellerDigestWorkflowName, in)
	if err != nil {
		return nil, fmt.Errorf("start seller digest %s: %w", in.Period, err)
	}
	return run, nil
}
