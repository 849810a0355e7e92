package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

const (
	// ExpireIdempotencyKeysWorkflowName is the registered name of ExpireIdempotencyKeys.
	ExpireIdempotencyKeysWorkflowName = "ExpireIdempotencyKeys"
	// ExpireIdempotencyKeysScheduleID names its hourly Schedule.
	ExpireIdempotencyKeysScheduleID = "idempotency-keys-expiry"
)

// ExpireIdempotencyKeysInput is the Schedule's argument.
type ExpireIdempotencyKeysInput struct {
	// TTL is SHOPFLOW_IDEMPOTENCY_TTL.
	TTL time.Duration
}

// ExpireIdempotencyKeysResult says how many keys went.
type ExpireIdempotencyKeysResult struct {
	Deleted int64
}

// ExpireIdempotencyKeys deletes Idempotency-Keys older than their TTL, so stored responses do
// not pile up for ever.
func ExpireIdempotencyKeys(ctx workflow.Context, in ExpireIdempotencyKeysInput) (ExpireIdempotencyKeysResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 20 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
	var a *activities.Housekeeping
	var out activities.ExpireIdempotencyKeysResult
	err := workflow.ExecuteActivity(ctx, a.ExpireIdempotencyKeys,
		activities.ExpireIdempotencyKeysInput{TTL: in.TTL, Batch: 1000}).Get(ctx, &out)
	return ExpireIdempotencyKeysResult{Deleted: out.Deleted}, err
}
