package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
	"shopflow/payment"
	"shopflow/store"
)

const testReviewTimeout = 2 * time.Hour

func reviewInput() CheckoutInput {
	in := input()
	in.FraudReviewTimeout = testReviewTimeout
	return in
}

// screens mocks the fraud screen's verdict, checking the saga asks it to hold the stock through
// the review and the payment.
func screens(env *testsuite.TestWorkflowEnvironment, decision string) {
	env.OnActivity(a.ScreenOrder, mock.Anything,
		activities.ScreenInput{OrderID: "order-1", ReviewTimeout: testReviewTimeout, PaymentTimeout: testTimeout}).
		Return(activities.ScreenResult{Decision: decision, Score: 60}, nil).Once()
}

func recordsReview(env *testsuite.TestWorkflowEnvironment, approve bool) {
	decision := store.FraudRejected
	if approve {
		decision = store.FraudApproved
	}
	env.OnActivity(a.RecordFraudReview, mock.Anything,
		activities.FraudReviewInput{OrderID: "order-1", ReviewerID: "admin-1", Approve: approve, Note: "checked"}).
		Return(activities.FraudReviewResult{Decision: decision}, nil).Once()
}

// reviewAnswer is what the admin sending a review update was told.
type reviewAnswer struct {
	accepted, rejected, done bool
	outcome                  ReviewOutcome
	err                      error
}

// reviewAt sends a review decision at the given workflow time. Each call is its own update
// (the test environment does not take a second update under the ID of a refused one).
func reviewAt(env *testsuite.TestWorkflowEnvironment, at time.Duration, decision string) *reviewAnswer {
	ans := &reviewAnswer{}
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateFraudReview, decision+at.String(), &testsuite.TestUpdateCallback{
			OnAccept: func() { ans.accepted = true },
			OnReject: func(err error) { ans.rejected, ans.err = true, err },
			OnComplete: func(v any, err error) {
				ans.done, ans.err = true, err
				if o, ok := v.(ReviewOutcome); ok {
					ans.outcome = o
				}
			},
		}, FraudDecision{Decision: decision, ReviewerID: "admin-1", Note: "checked"})
	}, at)
	return ans
}

// stepAt records the saga's step at the given workflow time.
func stepAt(t *testing.T, env *testsuite.TestWorkflowEnvironment, at time.Duration) *string {
	var step string
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryStep)
		if err == nil {
			err = v.Get(&step)
		}
		if err != nil {
			t.Errorf("query: %v", err)
		}
	}, at)
	return &step
}

func placesAfterCharge(env *testsuite.TestWorkflowEnvironment) {
	env.OnActivity(a.ChargePayment, mock.Anything, activities.ChargeInput{OrderID: "order-1"}).Return(charged(payment.StatusSucceeded), nil).Once()
	env.OnActivity(a.ConfirmOrder, mock.Anything, activities.ConfirmInput{OrderID: "order-1"}).
		Return(activities.ConfirmResult{Placed: true, Status: store.OrderPlaced}, nil).Once()
}

func TestCheckoutFraudAllowedIsCharged(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	screens(env, store.FraudAllow)
	placesAfterCharge(env)
	env.ExecuteWorkflow(Checkout, reviewInput())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced {
		t.Fatalf("result %+v", r)
	}
}

// A rejected order holds no stock and no money: released, never charged.
func TestCheckoutFraudRejectedChargesNothing(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	screens(env, store.FraudReject)
	releaseWith(env, store.ReasonFraudSuspected)
	env.ExecuteWorkflow(Checkout, reviewInput())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderCanceled || r.CancelReason != store.ReasonFraudSuspected {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "ChargePayment", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "VoidPayment", mock.Anything, mock.Anything)
}

func TestCheckoutFraudReviewApproved(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	screens(env, store.FraudReview)
	recordsReview(env, true)
	placesAfterCharge(env)
	step := stepAt(t, env, time.Hour)
	early := reviewAt(env, 0, ReviewApprove) // before the saga waits for a review: refused
	ans := reviewAt(env, time.Hour, ReviewApprove)
	start := env.Now()
	env.ExecuteWorkflow(Checkout, reviewInput())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced {
		t.Fatalf("result %+v", r)
	}
	if *step != StepAwaitingReview {
		t.Errorf("step during the review = %q, want %q", *step, StepAwaitingReview)
	}
	if waited := env.Now().Sub(start); waited >= testReviewTimeout {
		t.Errorf("charged after %s: the approval did not end the wait", waited)
	}
	if !early.rejected || !isType(early.err, ErrTypeNotInReview) {
		t.Errorf("a decision before the review: %+v, want refused as not in review", early)
	}
	if !ans.accepted || !ans.done || ans.err != nil ||
		ans.outcome != (ReviewOutcome{Decision: store.FraudApproved, Status: store.OrderAwaitingPayment}) {
		t.Errorf("approval answered %+v", ans)
	}
}

// A rejected review holds no stock and no money: released with fraud_rejected, never charged,
// and the admin is told so once it is done.
func TestCheckoutFraudReviewRejected(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	screens(env, store.FraudReview)
	recordsReview(env, false)
	releaseWith(env, store.ReasonFraudRejected)
	ans := reviewAt(env, time.Hour, ReviewReject)
	again := reviewAt(env, time.Hour, ReviewApprove) // right after the first: decided already
	env.ExecuteWorkflow(Checkout, reviewInput())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderCanceled || r.CancelReason != store.ReasonFraudRejected {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "ChargePayment", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "VoidPayment", mock.Anything, mock.Anything)
	want := ReviewOutcome{Decision: store.FraudRejected, Status: store.OrderCanceled, Reason: store.ReasonFraudRejected}
	if !ans.done || ans.err != nil || ans.outcome != want {
		t.Errorf("rejection answered %+v, want %+v", ans, want)
	}
	if !again.rejected || !isType(again.err, ErrTypeNotInReview) {
		t.Errorf("a second decision: %+v, want refused", again)
	}
}

func TestCheckoutFraudReviewTimesOut(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	screens(env, store.FraudReview)
	releaseWith(env, store.ReasonFraudReviewTimeout)
	late := reviewAt(env, testReviewTimeout+time.Minute, ReviewApprove)
	start := env.Now()
	env.ExecuteWorkflow(Checkout, reviewInput())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderCanceled || r.CancelReason != store.ReasonFraudReviewTimeout {
		t.Fatalf("result %+v", r)
	}
	if waited := env.Now().Sub(start); waited < testReviewTimeout {
		t.Errorf("gave up after %s, before the %s review timeout", waited, testReviewTimeout)
	}
	env.AssertNotCalled(t, "ChargePayment", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "RecordFraudReview", mock.Anything, mock.Anything)
	if late.accepted {
		t.Errorf("a decision after the timeout was accepted: %+v", late)
	}
}

// A saga started without a review timeout (by an older sweep) waits the default.
func TestCheckoutFraudReviewDefaultTimeout(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	env.OnActivity(a.ScreenOrder, mock.Anything,
		activities.ScreenInput{OrderID: "order-1", ReviewTimeout: defaultFraudReviewTimeout, PaymentTimeout: testTimeout}).
		Return(activities.ScreenResult{Decision: store.FraudReview}, nil).Once()
	releaseWith(env, store.ReasonFraudReviewTimeout)
	start := env.Now()
	env.ExecuteWorkflow(Checkout, input())
	completed[CheckoutResult](t, env)
	if waited := env.Now().Sub(start); waited < defaultFraudReviewTimeout {
		t.Errorf("gave up after %s", waited)
	}
}

// The customer's cancel still works during a review: the order is canceled at once, its stock
// released, nothing charged; a decision after it is refused.
func TestCheckoutCancelDuringFraudReview(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	screens(env, store.FraudReview)
	releaseWith(env, store.ReasonCanceledByUser)
	cancel := cancelAt(env, time.Hour)
	review := reviewAt(env, time.Hour+time.Second, ReviewApprove)
	env.ExecuteWorkflow(Checkout, reviewInput())
	res := completed[CheckoutResult](t, env)
	checkCancelAnswer(t, cancel, res, false, false)
	env.AssertNotCalled(t, "ChargePayment", mock.Anything, mock.Anything)
	if review.accepted {
		t.Errorf("a decision after the cancel was accepted: %+v", review)
	}
}

func TestCheckoutFraudReviewRefusesABadDecision(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	screens(env, store.FraudReview)
	recordsReview(env, true)
	placesAfterCharge(env)
	bad := reviewAt(env, time.Minute, "maybe")
	good := reviewAt(env, time.Hour, ReviewApprove)
	env.ExecuteWorkflow(Checkout, reviewInput())
	completed[CheckoutResult](t, env)
	if !bad.rejected || !isType(bad.err, ErrTypeBadReview) {
		t.Errorf("decision maybe: %+v, want refused", bad)
	}
	if !good.done || good.outcome.Decision != store.FraudApproved {
		t.Errorf("approval after a bad decision: %+v", good)
	}
}

// A screen that cannot run lets the order through: the payment provider still checks the
// charge, and a screen outage must not stop every sale.
func TestCheckoutFraudScreenDownLetsTheOrderThrough(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	env.OnActivity(a.ScreenOrder, mock.Anything, mock.Anything).Return(activities.ScreenResult{}, errors.New("radar: 503"))
	placesAfterCharge(env)
	env.ExecuteWorkflow(Checkout, reviewInput())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced {
		t.Fatalf("result %+v", r)
	}
}

// An order that has vanished cannot be screened or charged: the saga compensates.
func TestCheckoutFraudScreenOrderNotFound(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	env.OnActivity(a.ScreenOrder, mock.Anything, mock.Anything).
		Return(activities.ScreenResult{}, temporal.NewNonRetryableApplicationError("gone", activities.ErrTypeOrderNotFound, nil)).Once()
	releaseWith(env, store.ReasonSystemError)
	env.ExecuteWorkflow(Checkout, reviewInput())
	if r := completed[CheckoutResult](t, env); r.CancelReason != store.ReasonSystemError {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "ChargePayment", mock.Anything, mock.Anything)
}

// Reserving reports why it did not reserve; the order is canceled with that reason.
func TestCheckoutNotReservedUsesTheReason(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).
		Return(activities.ReserveResult{Status: store.OrderPending, Reason: store.ReasonPromotionUnavailable}, nil).Once()
	releaseWith(env, store.ReasonPromotionUnavailable)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.CancelReason != store.ReasonPromotionUnavailable {
		t.Fatalf("result %+v", r)
	}
	env.AssertNotCalled(t, "ScreenOrder", mock.Anything, mock.Anything)
}

func isType(err error, typ string) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == typ
}
