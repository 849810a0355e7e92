package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/payment"
	"shopflow/store"
)

// historyLedger counts, from the test environment's listeners, an upper bound of the events
// the server would record for a run. The test environment keeps no history, so each thing the
// workflow does is priced at what it costs the server at most: a local activity attempt a
// marker and a workflow task of its own (the worker often records several in one); a timer
// (which is how a local activity waits out a long backoff) its start, its firing and the
// workflow task that follows; a regular activity its scheduled, started and closed events and
// a workflow task, however many times the server retried it.
type historyLedger struct {
	events        int
	localAttempts int
	attempts      int // attempts of regular activities, retried by the server
}

const (
	workflowStartEvents  = 4 // started, and the first workflow task
	workflowTaskEvents   = 3 // scheduled, started, completed
	localAttemptEvents   = 1 + workflowTaskEvents
	timerEvents          = 2 + workflowTaskEvents
	activityEvents       = 3 + workflowTaskEvents
	workflowClosedEvents = 1
)

func newHistoryLedger(env *testsuite.TestWorkflowEnvironment) *historyLedger {
	l := &historyLedger{events: workflowStartEvents + workflowClosedEvents}
	env.SetOnLocalActivityCompletedListener(func(*activity.Info, converter.EncodedValue, error) {
		l.localAttempts++
		l.events += localAttemptEvents
	})
	env.SetOnTimerScheduledListener(func(string, time.Duration) { l.events += timerEvents })
	env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { l.attempts++ })
	env.SetOnActivityCompletedListener(func(*activity.Info, converter.EncodedValue, error) { l.events += activityEvents })
	return l
}

// declinedWithFailingVoid is a declined saga whose payment void fails for a week of workflow
// time before the provider takes it.
func declinedWithFailingVoid(env *testsuite.TestWorkflowEnvironment, week time.Duration) {
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(charged(payment.StatusFailed), nil).Once()
	fixedAt := env.Now().Add(week)
	env.OnActivity(a.VoidPayment, mock.Anything, mock.Anything).Return(func(context.Context, activities.VoidInput) (activities.VoidResult, error) {
		if env.Now().Before(fixedAt) {
			return activities.VoidResult{}, errors.New("stripe: 503 service unavailable")
		}
		return activities.VoidResult{}, nil
	})
	releaseWith(env, store.ReasonPaymentDeclined)
}

// A refund or void that keeps failing for a week keeps the saga's history small: after a
// minute of local attempts the step is a regular activity, retried by the server (and shown
// pending in the UI with its last error) without an event per attempt.
func TestCheckoutFailingCompensationKeepsHistoryBounded(t *testing.T) {
	const week = 7 * 24 * time.Hour
	env := newCheckoutEnv(t)
	ledger := newHistoryLedger(env)
	start := env.Now()
	declinedWithFailingVoid(env, week)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderCanceled || r.CancelReason != store.ReasonPaymentDeclined {
		t.Fatalf("result %+v", r)
	}
	if took := env.Now().Sub(start); took < week {
		t.Fatalf("the void succeeded after %s, before the week of failures was over", took)
	}
	if ledger.attempts < 500 {
		t.Fatalf("the void was retried %d times as a regular activity over the week, want it retried all along", ledger.attempts)
	}
	if ledger.events >= 200 {
		t.Fatalf("a week of failing compensation cost up to %d history events (%d local attempts), want fewer than 200",
			ledger.events, ledger.localAttempts)
	}
	t.Logf("a week of failing void: at most %d history events, %d local and %d server-side attempts",
		ledger.events, ledger.localAttempts, ledger.attempts)
}

// confirmFailingFor is a paid saga whose confirm fails for the given workflow time, then places
// the order.
func confirmFailingFor(env *testsuite.TestWorkflowEnvironment, outage time.Duration) {
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(charged(payment.StatusSucceeded), nil).Once()
	fixedAt := env.Now().Add(outage)
	env.OnActivity(a.ConfirmOrder, mock.Anything, mock.Anything).Return(func(context.Context, activities.ConfirmInput) (activities.ConfirmResult, error) {
		if env.Now().Before(fixedAt) {
			return activities.ConfirmResult{}, errors.New("postgres: connection refused")
		}
		return activities.ConfirmResult{Placed: true, Status: store.OrderPlaced}, nil
	})
}

// A confirm that fails for most of a day (Postgres down) places the order when Postgres is
// back, with a history of a few dozen events.
func TestCheckoutFailingConfirmKeepsHistoryBounded(t *testing.T) {
	env := newCheckoutEnv(t)
	ledger := newHistoryLedger(env)
	confirmFailingFor(env, 20*time.Hour)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced {
		t.Fatalf("result %+v", r)
	}
	if ledger.events >= 200 {
		t.Fatalf("20 hours of failing confirm cost up to %d history events, want fewer than 200", ledger.events)
	}
}

// The control: the same outage with the saga as it was before the hand-over (a local activity
// retried for a day) costs thousands of events by the same ledger, so the ledger measures it.
func TestCheckoutLegacyFailingConfirmGrowsTheHistory(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnGetVersion(cancelUpdateChange, workflow.DefaultVersion, screenedVersion).Return(workflow.DefaultVersion)
	ledger := newHistoryLedger(env)
	confirmFailingFor(env, 20*time.Hour)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced {
		t.Fatalf("result %+v", r)
	}
	if ledger.events < 1000 {
		t.Fatalf("20 hours of failing local confirm cost only %d events by the ledger", ledger.events)
	}
}
