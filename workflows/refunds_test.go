package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
	"shopflow/audit"
	"shopflow/store"
)

var (
	cancelActs *activities.Cancellations
	refundActs *activities.Refunds
)

const testCancellationID = "c-1"

// cancelEnv mocks the cancellation's steps up to issuing the refund.
func cancelEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	env := newTestEnv()
	env.RegisterActivity(cancelActs)
	env.RegisterActivity(refundActs)
	in := activities.CancellationInput{CancellationID: testCancellationID, Actor: testActor}
	env.OnActivity(cancelActs.LoadCancellation, mock.Anything, in).Return(activities.CancellationInfo{OrderID: "o-1",
		Status: store.CancellationRequested, Lines: []store.CancelLine{{LineNo: 2, Quantity: 1}}}, nil).Once()
	env.OnActivity(cancelActs.RestockCancellation, mock.Anything, in).Return(nil).Once()
	env.OnActivity(refundActs.CreateRefund, mock.Anything, activities.CreateRefundInput{OrderID: "o-1", Kind: store.RefundForCancel,
		Key: "cancel:c-1", Lines: []store.RefundLine{{LineNo: 2, Quantity: 1}}, Actor: testActor}).
		Return(activities.CreateRefundResult{RefundID: "r-1", AmountCents: 500, Currency: "USD", Status: store.RefundPending}, nil).Once()
	env.OnActivity(cancelActs.SetCancellationRefund, mock.Anything, activities.CancellationRefundInput{CancellationID: testCancellationID,
		RefundID: "r-1", Status: store.CancellationRequested, Actor: testActor}).Return(nil).Once()
	return env
}

var testActor = audit.Actor{AccountID: "admin-1", Role: "admin"}

func TestCancelPlacedRefundsRestocksAndNotifies(t *testing.T) {
	env := cancelEnv(t)
	env.OnActivity(refundActs.IssueRefund, mock.Anything, activities.IssueRefundActivityInput{RefundID: "r-1", Actor: testActor}).
		Return(activities.IssueRefundActivityResult{Status: store.RefundSucceeded, AmountCents: 500}, nil).Once()
	env.OnActivity(cancelActs.FinishCancellation, mock.Anything, activities.CancellationInput{CancellationID: testCancellationID, Actor: testActor}).
		Return(nil).Once()
	env.ExecuteWorkflow(CancelPlaced, CancelPlacedInput{CancellationID: testCancellationID, Actor: testActor})
	got := completed[CancelPlacedResult](t, env)
	if got != (CancelPlacedResult{Status: store.CancellationCompleted, RefundID: "r-1", RefundAttempts: 1}) {
		t.Errorf("result %+v", got)
	}
	env.AssertExpectations(t)
}

// TestCancelPlacedWaitsForARetryAfterARefusal: the provider refuses, the cancellation says so
// and waits; an admin's retry (by another admin) issues it again and it succeeds.
func TestCancelPlacedWaitsForARetryAfterARefusal(t *testing.T) {
	env := cancelEnv(t)
	retrier := audit.Actor{AccountID: "admin-2", Role: "admin"}
	env.OnActivity(refundActs.IssueRefund, mock.Anything, activities.IssueRefundActivityInput{RefundID: "r-1", Actor: testActor}).
		Return(activities.IssueRefundActivityResult{Status: store.RefundFailed, AmountCents: 500, FailureReason: "refund_declined"}, nil).Once()
	env.OnActivity(cancelActs.SetCancellationRefund, mock.Anything, activities.CancellationRefundInput{CancellationID: testCancellationID,
		RefundID: "r-1", Status: store.CancellationRefundFailed, Actor: testActor}).Return(nil).Once()
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryCancelState)
		var state CancelPlacedResult
		if err != nil || v.Get(&state) != nil || state.Status != store.CancellationRefundFailed || state.RefundFailure != "refund_declined" {
			t.Errorf("state while waiting: %+v %v", state, err)
		}
		env.SignalWorkflow(RetryRefundSignal, RetryRefund{Actor: retrier})
	}, 48*time.Hour)
	env.OnActivity(refundActs.IssueRefund, mock.Anything, activities.IssueRefundActivityInput{RefundID: "r-1", Actor: retrier}).
		Return(activities.IssueRefundActivityResult{Status: store.RefundSucceeded, AmountCents: 500}, nil).Once()
	env.OnActivity(cancelActs.FinishCancellation, mock.Anything, activities.CancellationInput{CancellationID: testCancellationID, Actor: retrier}).
		Return(nil).Once()
	env.ExecuteWorkflow(CancelPlaced, CancelPlacedInput{CancellationID: testCancellationID, Actor: testActor})
	got := completed[CancelPlacedResult](t, env)
	if got != (CancelPlacedResult{Status: store.CancellationCompleted, RefundID: "r-1", RefundAttempts: 2}) {
		t.Errorf("result %+v", got)
	}
	env.AssertExpectations(t)
}

// TestCancelPlacedRefusedRefundIsAFailureToRetry: a refund the activity refuses for good (not
// found) is treated like a provider refusal: the workflow waits for a retry, never drops it.
func TestCancelPlacedRefusedRefundIsAFailureToRetry(t *testing.T) {
	env := cancelEnv(t)
	env.OnActivity(refundActs.IssueRefund, mock.Anything, mock.Anything).
		Return(activities.IssueRefundActivityResult{}, temporal.NewNonRetryableApplicationError("gone", activities.ErrTypeRefundRefused, nil)).Once()
	env.OnActivity(cancelActs.SetCancellationRefund, mock.Anything, mock.Anything).Return(nil).Once()
	waited := false
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryCancelState)
		var state CancelPlacedResult
		if err != nil || v.Get(&state) != nil || state.Status != store.CancellationRefundFailed || state.RefundFailure != "gone" {
			t.Errorf("state while waiting: %+v %v", state, err)
		}
		waited = true
		env.CancelWorkflow()
	}, 30*24*time.Hour)
	env.ExecuteWorkflow(CancelPlaced, CancelPlacedInput{CancellationID: testCancellationID, Actor: testActor})
	if !waited {
		t.Fatal("the workflow did not wait a month for a retry")
	}
	env.AssertExpectations(t)
}

func TestCancelPlacedAlreadyCompleted(t *testing.T) {
	env := newTestEnv()
	env.RegisterActivity(cancelActs)
	env.OnActivity(cancelActs.LoadCancellation, mock.Anything, mock.Anything).
		Return(activities.CancellationInfo{OrderID: "o-1", Status: store.CancellationCompleted}, nil).Once()
	env.ExecuteWorkflow(CancelPlaced, CancelPlacedInput{CancellationID: testCancellationID})
	if got := completed[CancelPlacedResult](t, env); got.Status != store.CancellationCompleted {
		t.Errorf("result %+v", got)
	}
	env.AssertExpectations(t)
}

func TestCancelPlacedUnknownCancellationFails(t *testing.T) {
	env := newTestEnv()
	env.RegisterActivity(cancelActs)
	env.OnActivity(cancelActs.LoadCancellation, mock.Anything, mock.Anything).
		Return(activities.CancellationInfo{}, temporal.NewNonRetryableApplicationError("nope", activities.ErrTypeCancellationNotFound, nil)).Once()
	env.ExecuteWorkflow(CancelPlaced, CancelPlacedInput{CancellationID: testCancellationID})
	var appErr *temporal.ApplicationError
	if !env.IsWorkflowCompleted() || !errors.As(env.GetWorkflowError(), &appErr) || appErr.Type() != activities.ErrTypeCancellationNotFound {
		t.Errorf("workflow error %v, want CancellationNotFound", env.GetWorkflowError())
	}
}

func TestIssueRefundWorkflow(t *testing.T) {
	for _, want := range []activities.IssueRefundActivityResult{
		{Status: store.RefundSucceeded, AmountCents: 300},
		{Status: store.RefundFailed, AmountCents: 300, FailureReason: "refund_declined"},
	} {
		env := newTestEnv()
		env.RegisterActivity(refundActs)
		env.OnActivity(refundActs.IssueRefund, mock.Anything, activities.IssueRefundActivityInput{RefundID: "r-9"}).
			Return(want, nil).Once()
		env.ExecuteWorkflow(IssueRefund, IssueRefundInput{RefundID: "r-9"})
		if got := completed[IssueRefundResult](t, env); got != (IssueRefundResult{Status: want.Status, FailureReason: want.FailureReason}) {
			t.Errorf("result %+v, want %+v", got, want)
		}
	}
}
