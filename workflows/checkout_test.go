package workflows

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
	"shopflow/payment"
	"shopflow/store"
)

const testTimeout = 5 * time.Minute

var a *activities.Checkout

// newCheckoutEnv is a test environment with the checkout workflow and its activities
// registered; tests mock each activity's answer with OnActivity.
func newCheckoutEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(Checkout, workflowRegisterOptions())
	env.RegisterActivity(&activities.Checkout{})
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

func input() CheckoutInput {
	return CheckoutInput{OrderID: "order-1", CustomerID: "cust-1", PaymentTimeout: testTimeout}
}

func reserved() activities.ReserveResult {
	return activities.ReserveResult{Reserved: true, Status: store.OrderAwaitingPayment}
}

func charged(status payment.Status) activities.ChargeResult {
	return activities.ChargeResult{IntentID: "pi_1", Status: status}
}

func releaseWith(env *testsuite.TestWorkflowEnvironment, reason string) {
	env.OnActivity(a.ReleaseOrder, mock.Anything, activities.ReleaseInput{OrderID: "order-1", Reason: reason}).
		Return(activities.ReleaseResult{Canceled: true, Status: store.OrderCanceled}, nil).Once()
}

func voids(env *testsuite.TestWorkflowEnvironment, refunded bool) {
	env.OnActivity(a.VoidPayment, mock.Anything, activities.VoidInput{OrderID: "order-1", IntentID: "pi_1"}).
		Return(activities.VoidResult{Refunded: refunded}, nil).Once()
}

func TestCheckoutSuccess(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, activities.ReserveInput{OrderID: "order-1", PaymentTimeout: testTimeout}).Return(reserved(), nil).Once()
	env.OnActivity(a.ChargePayment, mock.Anything, activities.ChargeInput{OrderID: "order-1"}).Return(charged(payment.StatusSucceeded), nil).Once()
	env.OnActivity(a.ConfirmOrder, mock.Anything, activities.ConfirmInput{OrderID: "order-1"}).Return(activities.ConfirmResult{Placed: true, Status: store.OrderPlaced}, nil).Once()
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced || r.IntentID != "pi_1" {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "ReleaseOrder", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "VoidPayment", mock.Anything, mock.Anything)
}

func TestCheckoutOutOfStockChargesNothing(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(activities.ReserveResult{Reserved: false, Status: store.OrderPending, Short: []int64{7}}, nil).Once()
	releaseWith(env, store.ReasonOutOfStock)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderCanceled || r.CancelReason != store.ReasonOutOfStock {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "ChargePayment", mock.Anything, mock.Anything)
}

func TestCheckoutDeclined(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(activities.ChargeResult{IntentID: "pi_1", Status: payment.StatusFailed, DeclineCode: "card_declined"}, nil).Once()
	voids(env, false)
	releaseWith(env, store.ReasonPaymentDeclined)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderCanceled || r.CancelReason != store.ReasonPaymentDeclined {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "ConfirmOrder", mock.Anything, mock.Anything)
}

// awaitingAction sets up a saga whose charge needs 3-D Secure.
func awaitingAction(env *testsuite.TestWorkflowEnvironment) {
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(charged(payment.StatusRequiresAction), nil).Once()
}

func TestCheckoutPaymentTimeout(t *testing.T) {
	env := newCheckoutEnv(t)
	awaitingAction(env)
	env.OnActivity(a.PaymentStatus, mock.Anything, activities.PaymentStatusInput{OrderID: "order-1", IntentID: "pi_1"}).Return(charged(payment.StatusRequiresAction), nil).Once()
	voids(env, false)
	releaseWith(env, store.ReasonPaymentTimeout)
	var stepWhileWaiting string
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryStep)
		if err == nil {
			err = v.Get(&stepWhileWaiting)
		}
		if err != nil {
			t.Errorf("query: %v", err)
		}
	}, time.Minute)
	start := env.Now()
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderCanceled || r.CancelReason != store.ReasonPaymentTimeout {
		t.Fatalf("result %+v", r)
	}
	if waited := env.Now().Sub(start); waited < testTimeout {
		t.Fatalf("gave up after %s, before the %s payment timeout", waited, testTimeout)
	}
	if stepWhileWaiting != StepAwaitingPayment {
		t.Fatalf("step while waiting = %q", stepWhileWaiting)
	}
}

func TestCheckoutPaymentCompletedByWebhook(t *testing.T) {
	env := newCheckoutEnv(t)
	awaitingAction(env)
	// The saga checks the signal with the provider (which also records the payment's state).
	env.OnActivity(a.PaymentStatus, mock.Anything, activities.PaymentStatusInput{OrderID: "order-1", IntentID: "pi_1"}).Return(charged(payment.StatusSucceeded), nil).Once()
	env.OnActivity(a.ConfirmOrder, mock.Anything, mock.Anything).Return(activities.ConfirmResult{Placed: true, Status: store.OrderPlaced}, nil).Once()
	env.RegisterDelayedCallback(func() {
		// A result for some other intent must be ignored, not taken for this order's payment.
		env.SignalWorkflow(SignalPaymentResult, PaymentResult{IntentID: "pi_other", Status: "succeeded"})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalPaymentResult, PaymentResult{IntentID: "pi_1", Status: "succeeded"})
	}, 2*time.Minute)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced {
		t.Fatalf("result %+v", r)
	}
}

func TestCheckoutPaymentFailedByWebhook(t *testing.T) {
	env := newCheckoutEnv(t)
	awaitingAction(env)
	env.OnActivity(a.PaymentStatus, mock.Anything, mock.Anything).Return(activities.ChargeResult{IntentID: "pi_1", Status: payment.StatusFailed, DeclineCode: "authentication_failed"}, nil).Once()
	voids(env, false)
	releaseWith(env, store.ReasonPaymentDeclined)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalPaymentResult, PaymentResult{IntentID: "pi_1", Status: "failed"})
	}, time.Minute)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.CancelReason != store.ReasonPaymentDeclined {
		t.Fatalf("result %+v", r)
	}
}

func TestCheckoutCancelWhileWaiting(t *testing.T) {
	env := newCheckoutEnv(t)
	awaitingAction(env)
	voids(env, false)
	releaseWith(env, store.ReasonCanceledByUser)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCancel, CancelRequest{Reason: store.ReasonCanceledByUser}) }, time.Minute)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.CancelReason != store.ReasonCanceledByUser {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "PaymentStatus", mock.Anything, mock.Anything)
}

// TestCheckoutPaymentSucceedsAtTheTimeout: the payment went through just before the timeout but
// its webhook has not arrived; the saga asks the provider and keeps the payment.
func TestCheckoutPaymentSucceedsAtTheTimeout(t *testing.T) {
	env := newCheckoutEnv(t)
	awaitingAction(env)
	env.OnActivity(a.PaymentStatus, mock.Anything, mock.Anything).Return(charged(payment.StatusSucceeded), nil).Once()
	env.OnActivity(a.ConfirmOrder, mock.Anything, mock.Anything).Return(activities.ConfirmResult{Placed: true, Status: store.OrderPlaced}, nil).Once()
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "VoidPayment", mock.Anything, mock.Anything)
}

// TestCheckoutWebhookRacesTheTimeout: the success signal lands in the same instant the timer
// fires; whichever the saga sees first, the paid order is placed, never canceled.
func TestCheckoutWebhookRacesTheTimeout(t *testing.T) {
	env := newCheckoutEnv(t)
	awaitingAction(env)
	env.OnActivity(a.PaymentStatus, mock.Anything, mock.Anything).Return(charged(payment.StatusSucceeded), nil).Once()
	env.OnActivity(a.ConfirmOrder, mock.Anything, mock.Anything).Return(activities.ConfirmResult{Placed: true, Status: store.OrderPlaced}, nil).Once()
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalPaymentResult, PaymentResult{IntentID: "pi_1", Status: "succeeded"})
	}, testTimeout)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "ReleaseOrder", mock.Anything, mock.Anything)
}

func TestCheckoutChargeRetriesExhausted(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	calls := 0
	env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.ChargeInput) (activities.ChargeResult, error) {
		calls++
		return activities.ChargeResult{}, errors.New("stripe: connection reset")
	})
	releaseWith(env, store.ReasonPaymentError)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.CancelReason != store.ReasonPaymentError {
		t.Fatalf("result %+v", r)
	}
	if calls != int(chargeOptions.RetryPolicy.MaximumAttempts) {
		t.Fatalf("charge tried %d times, want %d", calls, chargeOptions.RetryPolicy.MaximumAttempts)
	}
	env.AssertNotCalled(t, "VoidPayment", mock.Anything, mock.Anything) // no intent was ever created
}

func TestCheckoutInvalidPaymentIsNotRetried(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).
		Return(activities.ChargeResult{}, temporal.NewNonRetryableApplicationError("bad card", activities.ErrTypePaymentInvalid, nil)).Once()
	releaseWith(env, store.ReasonPaymentError)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.CancelReason != store.ReasonPaymentError {
		t.Fatalf("result %+v", r)
	}
}

func TestCheckoutCompensationFailsOnceThenSucceeds(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(activities.ChargeResult{IntentID: "pi_1", Status: payment.StatusFailed}, nil).Once()
	env.OnActivity(a.VoidPayment, mock.Anything, mock.Anything).Return(activities.VoidResult{}, errors.New("stripe: 503")).Once()
	voids(env, false)
	env.OnActivity(a.ReleaseOrder, mock.Anything, mock.Anything).Return(activities.ReleaseResult{}, errors.New("postgres: connection refused")).Once()
	releaseWith(env, store.ReasonPaymentDeclined)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderCanceled || r.CancelReason != store.ReasonPaymentDeclined {
		t.Fatalf("result %+v", r)
	}
}

// TestCheckoutOperatorCancel: an operator cancels the workflow while it waits for payment; the
// compensation still runs to the end, on its disconnected context.
func TestCheckoutOperatorCancel(t *testing.T) {
	env := newCheckoutEnv(t)
	awaitingAction(env)
	voids(env, false)
	releaseWith(env, store.ReasonCanceledByOps)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	env.ExecuteWorkflow(Checkout, input())
	if !env.IsWorkflowCompleted() {
		t.Fatal("not completed")
	}
	if err := env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("want canceled, got %v", err)
	}
}

// TestCheckoutPaidButCanceledMeanwhile: confirming finds the order canceled (e.g. by the expiry
// sweep after a long outage): the payment is refunded, never kept.
func TestCheckoutPaidButCanceledMeanwhile(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(charged(payment.StatusSucceeded), nil).Once()
	env.OnActivity(a.ConfirmOrder, mock.Anything, mock.Anything).Return(activities.ConfirmResult{Placed: false, Status: store.OrderCanceled}, nil).Once()
	voids(env, true)
	env.OnActivity(a.ReleaseOrder, mock.Anything, mock.Anything).Return(activities.ReleaseResult{Canceled: true, Status: store.OrderCanceled}, nil).Once()
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderCanceled {
		t.Fatalf("result %+v", r)
	}
}

// TestCheckoutCancelBeforeCharge: a cancel that arrives while stock is being reserved stops the
// saga before it charges anything.
func TestCheckoutCancelBeforeCharge(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	releaseWith(env, store.ReasonCanceledByAdmin)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCancel, CancelRequest{Reason: store.ReasonCanceledByAdmin}) }, 0)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.CancelReason != store.ReasonCanceledByAdmin {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "ChargePayment", mock.Anything, mock.Anything)
}

// TestCheckoutFalseSuccessSignalIsChecked: a success signal the provider does not confirm
// places nothing; the saga keeps waiting and times out as usual.
func TestCheckoutFalseSuccessSignalIsChecked(t *testing.T) {
	env := newCheckoutEnv(t)
	awaitingAction(env)
	env.OnActivity(a.PaymentStatus, mock.Anything, mock.Anything).Return(charged(payment.StatusRequiresAction), nil).Twice()
	voids(env, false)
	releaseWith(env, store.ReasonPaymentTimeout)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalPaymentResult, PaymentResult{IntentID: "pi_1", Status: "succeeded"})
	}, time.Minute)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.CancelReason != store.ReasonPaymentTimeout {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "ConfirmOrder", mock.Anything, mock.Anything)
}

// TestCheckoutAlreadyCanceledReportsTheReason: replayed after a crash that cut its history
// short, the saga finds the order canceled and reports the reason the database holds.
func TestCheckoutAlreadyCanceledReportsTheReason(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).
		Return(activities.ReserveResult{Status: store.OrderCanceled, CancelReason: store.ReasonOutOfStock}, nil).Once()
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderCanceled || r.CancelReason != store.ReasonOutOfStock {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "ChargePayment", mock.Anything, mock.Anything)
}

// statusUpserts records the OrderStatus values a saga upserts, in order.
func statusUpserts(env *testsuite.TestWorkflowEnvironment) *[]string {
	var got []string
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		if v, ok := sa.GetKeyword(SearchOrderStatus); ok {
			got = append(got, v)
		}
	}).Return(nil)
	return &got
}

// Operators find sagas by OrderStatus in the Temporal UI: it moves to awaiting_payment once
// stock is held and to the order's final status at the end.
func TestCheckoutStatusUpserts(t *testing.T) {
	placedDirectly := func(env *testsuite.TestWorkflowEnvironment) {
		env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
		env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(charged(payment.StatusSucceeded), nil).Once()
		env.OnActivity(a.ConfirmOrder, mock.Anything, mock.Anything).Return(activities.ConfirmResult{Placed: true, Status: store.OrderPlaced}, nil).Once()
	}
	for _, tc := range []struct {
		name  string
		setup func(*testsuite.TestWorkflowEnvironment)
		want  []string
	}{
		{"placed", placedDirectly, []string{store.OrderAwaitingPayment, store.OrderPlaced}},
		{"out of stock", func(env *testsuite.TestWorkflowEnvironment) {
			env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(activities.ReserveResult{Status: store.OrderPending, Short: []int64{7}}, nil).Once()
			releaseWith(env, store.ReasonOutOfStock)
		}, []string{store.OrderCanceled}},
		{"after 3-D Secure", func(env *testsuite.TestWorkflowEnvironment) {
			awaitingAction(env)
			env.OnActivity(a.PaymentStatus, mock.Anything, mock.Anything).Return(charged(payment.StatusSucceeded), nil).Once()
			env.OnActivity(a.ConfirmOrder, mock.Anything, mock.Anything).Return(activities.ConfirmResult{Placed: true, Status: store.OrderPlaced}, nil).Once()
			env.RegisterDelayedCallback(func() {
				env.SignalWorkflow(SignalPaymentResult, PaymentResult{IntentID: "pi_1", Status: "succeeded"})
			}, time.Minute)
		}, []string{store.OrderAwaitingPayment, store.OrderPlaced}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newCheckoutEnv(t)
			got := statusUpserts(env)
			tc.setup(env)
			env.ExecuteWorkflow(Checkout, input())
			completed[CheckoutResult](t, env)
			if !slices.Equal(*got, tc.want) {
				t.Fatalf("OrderStatus upserts %q, want %q", *got, tc.want)
			}
		})
	}
}

// Compensation after a confirm that committed after all (its answer lost): releasing finds the
// order placed, so the paid order keeps its payment; it is never refunded under a placed order.
func TestCompensationKeepsThePaymentOfAnOrderThatWasPlaced(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(charged(payment.StatusSucceeded), nil).Once()
	env.OnActivity(a.ConfirmOrder, mock.Anything, mock.Anything).
		Return(activities.ConfirmResult{}, temporal.NewNonRetryableApplicationError("answer lost", "Lost", nil)).Once()
	env.OnActivity(a.ReleaseOrder, mock.Anything, mock.Anything).
		Return(activities.ReleaseResult{Canceled: false, Status: store.OrderPlaced}, nil).Once()
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced {
		t.Fatalf("result %+v, want placed", r)
	}
	env.AssertNotCalled(t, "VoidPayment", mock.Anything, mock.Anything)
}
