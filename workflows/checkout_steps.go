package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

// Step options. The saga's steps run as local activities: each is short, and each is idempotent
// (database steps check the order's status under a row lock; payment calls carry idempotency
// keys), so a retry after a crash is safe and a saga whose steps succeed costs few history
// events.
var (
	// Reserving talks only to Postgres: retry briskly, give up after two minutes (nothing is
	// charged yet).
	reserveOptions = workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second, ScheduleToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second},
	}
	chargeOptions = workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second, ScheduleToCloseTimeout: 3 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 500 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 20 * time.Second,
			MaximumAttempts: 8, NonRetryableErrorTypes: []string{activities.ErrTypePaymentInvalid, activities.ErrTypeOrderNotFound}},
	}
)

// longStep is a step that must not give up quickly: confirming (the money is taken) and
// compensating (stock must come back and money must go back). It runs as a local activity for
// a minute, which covers a blip at no cost in history, then hands over to the same activity
// run as a regular one. A local activity that retries for hours records a marker and a timer
// per attempt, thousands of events a day, and never shows as pending; a regular activity is
// retried by the server without a history event per attempt, and the Temporal UI shows it
// pending with its attempt count and last error.
type longStep struct {
	// legacy is how the step ran before the hand-over (cancelUpdateChange): local only.
	// Histories recorded then replay with it.
	legacy workflow.LocalActivityOptions
	local  workflow.LocalActivityOptions
	// remote bounds one regular activity to a day of attempts (MaximumAttempts is set only
	// because a retry policy without one is capped at 10 attempts in the SDK's test
	// environment; the day ends first).
	remote workflow.ActivityOptions
	// endless steps start a new regular activity each day the last one gave up: a few
	// history events a day, for as long as it takes.
	endless bool
}

// dayOfAttempts is more attempts than a day holds at the steps' backoff (at most one every 5
// or 10 minutes once it has grown): their ScheduleToCloseTimeout ends a regular activity first.
const dayOfAttempts = 2000

var (
	// Confirming places a paid order: keep at it for a day.
	confirmStep = longStep{
		legacy: workflow.LocalActivityOptions{
			StartToCloseTimeout: 10 * time.Second, ScheduleToCloseTimeout: 24 * time.Hour,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		},
		local: workflow.LocalActivityOptions{
			StartToCloseTimeout: 10 * time.Second, ScheduleToCloseTimeout: time.Minute,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second,
				NonRetryableErrorTypes: []string{activities.ErrTypeOrderNotFound}},
		},
		remote: workflow.ActivityOptions{
			StartToCloseTimeout: 30 * time.Second, ScheduleToCloseTimeout: 24 * time.Hour,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
				MaximumAttempts: dayOfAttempts, NonRetryableErrorTypes: []string{activities.ErrTypeOrderNotFound}},
		},
	}
	// Compensations never give up: an operator sees a stuck one pending in the Temporal UI.
	compensateStep = longStep{
		legacy: workflow.LocalActivityOptions{
			StartToCloseTimeout: 30 * time.Second,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: time.Minute,
				NonRetryableErrorTypes: []string{activities.ErrTypeOrderNotFound}},
		},
		local: workflow.LocalActivityOptions{
			StartToCloseTimeout: 30 * time.Second, ScheduleToCloseTimeout: time.Minute,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second,
				NonRetryableErrorTypes: []string{activities.ErrTypeOrderNotFound}},
		},
		remote: workflow.ActivityOptions{
			StartToCloseTimeout: 30 * time.Second, ScheduleToCloseTimeout: 24 * time.Hour,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute,
				MaximumAttempts: dayOfAttempts, NonRetryableErrorTypes: []string{activities.ErrTypeOrderNotFound}},
		},
		endless: true,
	}
)

// runLong runs a long step: locally first and, while the failure is one a retry may fix, then
// as a regular activity.
func (s *checkoutSaga) runLong(ctx workflow.Context, step longStep, activity, in, out any) error {
	if s.version == workflow.DefaultVersion {
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, step.legacy), activity, in).Get(ctx, out)
	}
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, step.local), activity, in).Get(ctx, out)
	if err == nil || !worthHandingOver(ctx, err) {
		return err
	}
	workflow.GetLogger(ctx).Warn("checkout step still failing; retrying it as a regular activity", "order", s.in.OrderID, "err", err)
	rctx := workflow.WithActivityOptions(ctx, step.remote)
	for {
		err = workflow.ExecuteActivity(rctx, activity, in).Get(ctx, out)
		if err == nil || !step.endless || !worthHandingOver(ctx, err) {
			return err
		}
		workflow.GetLogger(ctx).Error("checkout step failed all day; trying another day", "order", s.in.OrderID, "err", err)
	}
}

// worthHandingOver reports whether a failed local attempt may still succeed: not when the
// failure is final (order not found) or the step's context was canceled.
func worthHandingOver(ctx workflow.Context, err error) bool {
	if ctx.Err() != nil || temporal.IsCanceledError(err) {
		return false
	}
	var app *temporal.ApplicationError
	return !errors.As(err, &app) || !app.NonRetryable()
}
