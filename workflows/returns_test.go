package workflows

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
	"shopflow/audit"
	"shopflow/store"
)

const returnTestWindow = 48 * time.Hour

// returnTest is a return workflow under test: activities mocked, notices recorded in order.
type returnTest struct {
	t       *testing.T
	env     *testsuite.TestWorkflowEnvironment
	mu      sync.Mutex
	notices []string // event or event#seq
	start   time.Time
}

func newReturnTest(t *testing.T) *returnTest {
	t.Helper()
	rt := &returnTest{t: t, env: newTestEnv()}
	rt.env.RegisterActivity(&activities.Returns{})
	rt.env.RegisterActivity(&activities.Refunds{})
	rt.start = rt.env.Now()
	var a *activities.Returns
	rt.env.OnActivity(a.NotifyReturn, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NotifyReturnInput) (activities.NotifyReturnResult, error) {
			if in.ReturnID != "ret-1" {
				t.Errorf("notice for return %q", in.ReturnID)
			}
			rt.mu.Lock()
			defer rt.mu.Unlock()
			ev := in.Event
			if in.Seq > 0 {
				ev += "#" + string(rune('0'+in.Seq))
			}
			rt.notices = append(rt.notices, ev)
			return activities.NotifyReturnResult{}, nil
		})
	return rt
}

// step delivers a ReturnEvent after d of workflow time.
func (rt *returnTest) step(d time.Duration, ev ReturnEvent) {
	rt.env.RegisterDelayedCallback(func() { rt.env.SignalWorkflow(ReturnEventSignal, ev) }, d)
}

// run runs the workflow to its end and returns its result.
func (rt *returnTest) run() ReturnResult {
	rt.env.ExecuteWorkflow(Return, ReturnInput{ReturnID: "ret-1", ShipWindow: returnTestWindow})
	res := completed[ReturnResult](rt.t, rt.env)
	rt.env.AssertExpectations(rt.t)
	return res
}

func (rt *returnTest) wantNotices(want ...string) {
	rt.t.Helper()
	if !slices.Equal(rt.notices, want) {
		rt.t.Errorf("notices %v, want %v", rt.notices, want)
	}
}

var seller = audit.Actor{AccountID: "u-seller", Role: "seller", SellerID: "s-1"}

// received mocks the return's received lines and the recording of their refund.
func (rt *returnTest) received(lines ...store.RefundLine) {
	var a *activities.Returns
	var rf *activities.Refunds
	rt.env.OnActivity(a.ReturnRefundLines, mock.Anything, activities.ReturnRefundLinesInput{ReturnID: "ret-1"}).
		Return(activities.ReturnRefundLinesResult{OrderID: "ord-1", Status: store.ReturnReceived, Lines: lines}, nil).Once()
	if len(lines) > 0 {
		rt.env.OnActivity(rf.CreateRefund, mock.Anything, activities.CreateRefundInput{OrderID: "ord-1", ReturnID: "ret-1",
			Kind: store.RefundForReturn, Key: "return:ret-1", Lines: lines, Actor: seller}).
			Return(activities.CreateRefundResult{RefundID: "ref-1", AmountCents: 2000, Currency: "USD", Status: store.RefundPending}, nil).Once()
	}
}

func (rt *returnTest) issues(status, reason string) {
	var rf *activities.Refunds
	rt.env.OnActivity(rf.IssueRefund, mock.Anything, activities.IssueRefundActivityInput{RefundID: "ref-1", Actor: seller}).
		Return(activities.IssueRefundActivityResult{Status: status, AmountCents: 2000, FailureReason: reason}, nil).Once()
}

// shippedBack walks the return through approval, shipping and receipt.
func (rt *returnTest) shippedBack() {
	rt.step(time.Hour, ReturnEvent{Status: store.ReturnApproved, Actor: seller, ShipBy: rt.start.Add(time.Hour + returnTestWindow)})
	rt.step(2*time.Hour, ReturnEvent{Status: store.ReturnShipped, Detail: "Tracking: 1Z"})
	rt.step(3*time.Hour, ReturnEvent{Status: store.ReturnReceived, Actor: seller})
}

func TestReturnApprovedShippedReceivedRefunded(t *testing.T) {
	rt := newReturnTest(t)
	rt.shippedBack()
	rt.received(store.RefundLine{LineNo: 1, Quantity: 2})
	rt.issues(store.RefundSucceeded, "")
	res := rt.run()
	if res != (ReturnResult{Status: store.ReturnRefunded, RefundID: "ref-1", RefundAttempts: 1}) {
		t.Errorf("result %+v", res)
	}
	rt.wantNotices("requested", "approved", "shipped", "received", "refunded")
}

func TestReturnPartiallyReceivedRefundsWhatCameBack(t *testing.T) {
	rt := newReturnTest(t)
	rt.shippedBack()
	// Two lines were asked for; one unit of line 2 came back, none of line 1.
	rt.received(store.RefundLine{LineNo: 2, Quantity: 1})
	rt.issues(store.RefundSucceeded, "")
	if res := rt.run(); res.Status != store.ReturnRefunded {
		t.Errorf("result %+v", res)
	}
}

func TestReturnNothingReceivedRefundsNothing(t *testing.T) {
	rt := newReturnTest(t)
	rt.shippedBack()
	rt.received()
	if res := rt.run(); res != (ReturnResult{Status: store.ReturnReceived}) {
		t.Errorf("result %+v", res)
	}
}

func TestReturnRejected(t *testing.T) {
	rt := newReturnTest(t)
	rt.step(time.Hour, ReturnEvent{Status: store.ReturnRejected, Actor: seller, Detail: "worn"})
	if res := rt.run(); res.Status != store.ReturnRejected {
		t.Errorf("result %+v", res)
	}
	rt.wantNotices("requested", "rejected")
}

func TestReturnCanceledByCustomer(t *testing.T) {
	rt := newReturnTest(t)
	rt.step(time.Hour, ReturnEvent{Status: store.ReturnApproved, Actor: seller})
	rt.step(2*time.Hour, ReturnEvent{Status: store.ReturnCanceled})
	if res := rt.run(); res.Status != store.ReturnCanceled {
		t.Errorf("result %+v", res)
	}
	rt.wantNotices("requested", "approved", "canceled")
}

// expires mocks the expiry, checking it runs no earlier than at.
func (rt *returnTest) expires(at time.Time, res activities.ExpireReturnResult) {
	var a *activities.Returns
	rt.env.OnActivity(a.ExpireReturn, mock.Anything, activities.ExpireReturnInput{ReturnID: "ret-1"}).Return(
		func(_ context.Context, _ activities.ExpireReturnInput) (activities.ExpireReturnResult, error) {
			if now := rt.env.Now(); now.Before(at) {
				rt.t.Errorf("expired at %s, before %s", now, at)
			}
			return res, nil
		}).Once()
}

func TestReturnUndecidedRequestExpires(t *testing.T) {
	rt := newReturnTest(t)
	rt.expires(rt.start.Add(returnTestWindow), activities.ExpireReturnResult{Expired: true, Status: store.ReturnExpired})
	if res := rt.run(); res.Status != store.ReturnExpired {
		t.Errorf("result %+v", res)
	}
	rt.wantNotices("requested", "expired")
}

func TestReturnApprovedButNotShippedExpires(t *testing.T) {
	rt := newReturnTest(t)
	shipBy := rt.start.Add(30*time.Hour + returnTestWindow) // later than the request's own deadline
	rt.step(30*time.Hour, ReturnEvent{Status: store.ReturnApproved, Actor: seller, ShipBy: shipBy})
	rt.expires(shipBy, activities.ExpireReturnResult{Expired: true, Status: store.ReturnExpired})
	if res := rt.run(); res.Status != store.ReturnExpired {
		t.Errorf("result %+v", res)
	}
	rt.wantNotices("requested", "approved", "expired")
}

// The customer shipped just before the timer, and the signal arrives after the expiry found
// the return shipped: the return goes on, and the late signal changes nothing.
func TestReturnShippedJustBeforeExpiryGoesOn(t *testing.T) {
	rt := newReturnTest(t)
	rt.step(time.Hour, ReturnEvent{Status: store.ReturnApproved, Actor: seller, ShipBy: rt.start.Add(2 * time.Hour)})
	rt.expires(rt.start.Add(2*time.Hour), activities.ExpireReturnResult{Expired: false, Status: store.ReturnShipped})
	rt.step(3*time.Hour, ReturnEvent{Status: store.ReturnShipped})
	rt.step(4*time.Hour, ReturnEvent{Status: store.ReturnReceived, Actor: seller})
	rt.received(store.RefundLine{LineNo: 1, Quantity: 1})
	rt.issues(store.RefundSucceeded, "")
	if res := rt.run(); res.Status != store.ReturnRefunded {
		t.Errorf("result %+v", res)
	}
	rt.wantNotices("requested", "approved", "shipped", "received", "refunded")
}

func TestReturnRefundFailsThenSucceedsAfterRetry(t *testing.T) {
	rt := newReturnTest(t)
	rt.shippedBack()
	rt.received(store.RefundLine{LineNo: 1, Quantity: 2})
	rt.issues(store.RefundFailed, "card_expired")
	rt.issues(store.RefundSucceeded, "")
	rt.env.RegisterDelayedCallback(func() {
		var state ReturnResult
		v, err := rt.env.QueryWorkflow(QueryReturnState)
		if err != nil || v.Get(&state) != nil {
			t.Errorf("query: %v", err)
		}
		if state.RefundFailure != "card_expired" || state.Status != store.ReturnReceived {
			t.Errorf("while waiting for a retry the state is %+v", state)
		}
		rt.env.SignalWorkflow(RetryRefundSignal, RetryRefund{Actor: seller})
	}, 24*time.Hour)
	res := rt.run()
	if res != (ReturnResult{Status: store.ReturnRefunded, RefundID: "ref-1", RefundAttempts: 2}) {
		t.Errorf("result %+v", res)
	}
	rt.wantNotices("requested", "approved", "shipped", "received", "refund_failed#1", "refunded")
}
