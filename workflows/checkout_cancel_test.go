package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
	"shopflow/payment"
	"shopflow/store"
)

// cancelAnswer is what a caller of the cancel update was told.
type cancelAnswer struct {
	sent, accepted, rejected, done bool
	outcome                        CancelOutcome
	err                            error
}

// cancelAt sends the cancel update at the given workflow time.
func cancelAt(env *testsuite.TestWorkflowEnvironment, at time.Duration) *cancelAnswer {
	ans := &cancelAnswer{}
	env.RegisterDelayedCallback(func() {
		ans.sent = true
		env.UpdateWorkflow(UpdateCancel, cancelUpdateID, &testsuite.TestUpdateCallback{
			OnAccept: func() { ans.accepted = true },
			OnReject: func(err error) { ans.rejected, ans.err = true, err },
			OnComplete: func(v any, err error) {
				ans.done, ans.err = true, err
				if o, ok := v.(CancelOutcome); ok {
					ans.outcome = o
				}
			},
		}, CancelRequest{Reason: store.ReasonCanceledByUser})
	}, at)
	return ans
}

func confirms(env *testsuite.TestWorkflowEnvironment, after time.Duration) {
	env.OnActivity(a.ConfirmOrder, mock.Anything, activities.ConfirmInput{OrderID: "order-1"}).After(after).
		Return(activities.ConfirmResult{Placed: true, Status: store.OrderPlaced}, nil).Once()
}

// A cancel is never dropped: whichever step the saga is in when it arrives, the caller is told
// the order's final state, and a canceled order holds no stock (released) and keeps no money
// (voided, or refunded when the charge had gone through). Activities that block (After) put the
// cancel in the middle of a step.
func TestCheckoutCancelAtEveryStep(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(env *testsuite.TestWorkflowEnvironment) *cancelAnswer
		// placed: the cancel came too late; refunded: the money had been taken and went back.
		placed, refunded bool
	}{
		{name: "before reserving", setup: func(env *testsuite.TestWorkflowEnvironment) *cancelAnswer {
			env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
			releaseWith(env, store.ReasonCanceledByUser)
			return cancelAt(env, 0)
		}},
		{name: "while reserving", setup: func(env *testsuite.TestWorkflowEnvironment) *cancelAnswer {
			env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).After(time.Minute).Return(reserved(), nil).Once()
			releaseWith(env, store.ReasonCanceledByUser)
			return cancelAt(env, 30*time.Second)
		}},
		{name: "while charging", refunded: true, setup: func(env *testsuite.TestWorkflowEnvironment) *cancelAnswer {
			env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
			env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).After(time.Minute).Return(charged(payment.StatusSucceeded), nil).Once()
			voids(env, true)
			releaseWith(env, store.ReasonCanceledByUser)
			return cancelAt(env, 30*time.Second)
		}},
		{name: "awaiting 3-D Secure", setup: func(env *testsuite.TestWorkflowEnvironment) *cancelAnswer {
			awaitingAction(env)
			voids(env, false)
			releaseWith(env, store.ReasonCanceledByUser)
			return cancelAt(env, time.Minute)
		}},
		{name: "while checking a completed 3-D Secure", refunded: true, setup: func(env *testsuite.TestWorkflowEnvironment) *cancelAnswer {
			awaitingAction(env)
			env.OnActivity(a.PaymentStatus, mock.Anything, mock.Anything).After(time.Minute).Return(charged(payment.StatusSucceeded), nil).Once()
			voids(env, true)
			releaseWith(env, store.ReasonCanceledByUser)
			env.RegisterDelayedCallback(func() {
				env.SignalWorkflow(SignalPaymentResult, PaymentResult{IntentID: "pi_1", Status: "succeeded"})
			}, time.Minute)
			return cancelAt(env, 90*time.Second)
		}},
		{name: "while confirming", placed: true, setup: func(env *testsuite.TestWorkflowEnvironment) *cancelAnswer {
			env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
			env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(charged(payment.StatusSucceeded), nil).Once()
			confirms(env, time.Minute)
			return cancelAt(env, 30*time.Second)
		}},
		{name: "as the order is placed", placed: true, setup: func(env *testsuite.TestWorkflowEnvironment) *cancelAnswer {
			// The cancel lands in the instant confirming commits, after 3-D Secure. Later, once
			// the saga has closed, the server answers "not found" (ErrNoSaga) and the order's row
			// says placed; TestCheckoutCancelValidator covers the placed step itself.
			awaitingAction(env)
			env.OnActivity(a.PaymentStatus, mock.Anything, mock.Anything).Return(charged(payment.StatusSucceeded), nil).Once()
			confirms(env, time.Minute)
			env.RegisterDelayedCallback(func() {
				env.SignalWorkflow(SignalPaymentResult, PaymentResult{IntentID: "pi_1", Status: "succeeded"})
			}, time.Minute)
			return cancelAt(env, 2*time.Minute)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newCheckoutEnv(t)
			ans := tc.setup(env)
			env.ExecuteWorkflow(Checkout, input())
			res := completed[CheckoutResult](t, env)
			checkCancelAnswer(t, ans, res, tc.placed, tc.refunded)
			if tc.placed {
				env.AssertNotCalled(t, "ReleaseOrder", mock.Anything, mock.Anything)
				env.AssertNotCalled(t, "VoidPayment", mock.Anything, mock.Anything)
			} else {
				env.AssertNotCalled(t, "ConfirmOrder", mock.Anything, mock.Anything)
			}
		})
	}
}

// checkCancelAnswer checks that the caller was told the order's final state.
func checkCancelAnswer(t *testing.T, ans *cancelAnswer, res CheckoutResult, placed, refunded bool) {
	t.Helper()
	if !ans.sent {
		t.Fatal("the cancel was never sent: the saga ended before it")
	}
	if placed {
		if res.Status != store.OrderPlaced {
			t.Fatalf("saga ended %+v, want placed", res)
		}
		switch {
		case ans.rejected && isTooLate(ans.err):
		case ans.done && ans.err == nil && ans.outcome == (CancelOutcome{Status: store.OrderPlaced}):
		default:
			t.Fatalf("caller told %+v, want too late with the order placed", ans)
		}
		return
	}
	want := CancelOutcome{Canceled: true, Refunded: refunded, Status: store.OrderCanceled, Reason: store.ReasonCanceledByUser}
	if !ans.accepted || !ans.done || ans.err != nil || ans.outcome != want {
		t.Fatalf("caller told %+v, want %+v", ans, want)
	}
	if res.Status != ans.outcome.Status || res.CancelReason != ans.outcome.Reason {
		t.Fatalf("saga ended %+v, but the caller was told %+v", res, ans.outcome)
	}
}

// The validator refuses a cancel once the order is placed, so the refusal costs no history
// and the caller hears "too late" at once.
func TestCheckoutCancelValidator(t *testing.T) {
	for step, wantTooLate := range map[string]bool{
		StepReserving: false, StepCharging: false, StepAwaitingPayment: false, StepConfirming: false,
		StepCompensating: false, StepPlaced: true,
	} {
		err := (&checkoutSaga{step: step}).validateCancel(nil, CancelRequest{})
		if isTooLate(err) != wantTooLate || (err != nil) != wantTooLate {
			t.Errorf("step %s: validator said %v", step, err)
		}
	}
}

// The legacy cancel signal still cancels, for callers not yet moved to the update.
func TestCheckoutLegacyCancelSignalStillCancels(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).After(time.Minute).Return(charged(payment.StatusSucceeded), nil).Once()
	voids(env, true)
	releaseWith(env, store.ReasonCanceledByAdmin)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCancel, CancelRequest{Reason: store.ReasonCanceledByAdmin}) }, 30*time.Second)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderCanceled || r.CancelReason != store.ReasonCanceledByAdmin {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "ConfirmOrder", mock.Anything, mock.Anything)
}
