package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/audit"
	"shopflow/store"
)

// Names of the return workflow's messages: part of its contract with running executions,
// never renamed.
const (
	ReturnWorkflowName = "Return"
	// ReturnEventSignal carries a ReturnEvent: the API moved the return (in Postgres, checked
	// there) and tells the workflow, which notifies, times and refunds accordingly.
	ReturnEventSignal = "return-event"
	// RetryRefundSignal asks a return whose refund the provider refused to issue it again
	// (the admin's POST /api/v1/admin/refunds/{id}/retry sends it to return-<return_id>).
	RetryRefundSignal = "retry-refund"
	// QueryReturnState answers the workflow's ReturnResult so far.
	QueryReturnState = "state"
)

// DefaultReturnShipWindow is the ship window of inputs that do not set one.
const DefaultReturnShipWindow = 14 * 24 * time.Hour

// ReturnWorkflowID is the workflow ID of a return: one per return, ever.
func ReturnWorkflowID(returnID string) string { return "return-" + returnID }

// ReturnRefundKey is the idempotency key of a return's refund.
func ReturnRefundKey(returnID string) string { return "return:" + returnID }

// ReturnInput starts the workflow of one return request, already recorded as requested.
type ReturnInput struct {
	ReturnID string
	// ShipWindow is how long a request waits for a decision, and an approved return for the
	// goods to be shipped back, before it expires (SHOPFLOW_RETURN_SHIP_WINDOW).
	ShipWindow time.Duration
}

// ReturnEvent is a step the API took on the return: the status it moved it to.
type ReturnEvent struct {
	Status string
	// Actor is who took the step, for the audit records of what the workflow does next.
	Actor audit.Actor
	// ShipBy is when an approved return expires unless shipped (zero: ShipWindow from now).
	ShipBy time.Time `json:",omitempty"`
	// Detail is told to customer and seller: a decision note, a tracking number.
	Detail string `json:",omitempty"`
}

// RetryRefund is the payload of RetryRefundSignal.
type RetryRefund struct {
	Actor audit.Actor
}

// ReturnResult is how a return ended (or stands, through QueryReturnState).
type ReturnResult struct {
	Status         string
	RefundID       string `json:",omitempty"`
	RefundAttempts int    `json:",omitempty"`
	// RefundFailure is the provider's reason for the last refused refund.
	RefundFailure string `json:",omitempty"`
}

var returnActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
}

// Return runs one return: it tells customer and seller of each step, expires a request not
// decided, or an approved return not shipped back, within the ship window, and once the goods
// are received refunds exactly what came back, waiting for an admin's retry when the provider
// refuses. The API changes the return's status (checked in the store) and signals each step.
func Return(ctx workflow.Context, in ReturnInput) (ReturnResult, error) {
	ctx = workflow.WithActivityOptions(ctx, returnActivityOptions)
	if in.ShipWindow <= 0 {
		in.ShipWindow = DefaultReturnShipWindow
	}
	w := &returnRun{in: in, res: ReturnResult{Status: store.ReturnRequested},
		deadline: workflow.Now(ctx).Add(in.ShipWindow)}
	if err := workflow.SetQueryHandler(ctx, QueryReturnState, func() (ReturnResult, error) { return w.res, nil }); err != nil {
		return w.res, err
	}
	if err := w.notify(ctx, store.ReturnRequested, 0, ""); err != nil {
		return w.res, err
	}
	events := workflow.GetSignalChannel(ctx, ReturnEventSignal)
	for {
		var err error
		switch w.res.Status {
		case store.ReturnRequested, store.ReturnApproved:
			err = w.awaitOrExpire(ctx, events)
		case store.ReturnShipped:
			var ev ReturnEvent
			events.Receive(ctx, &ev)
			err = w.apply(ctx, ev)
		case store.ReturnReceived:
			return w.res, w.refund(ctx)
		default: // rejected, expired, canceled, refunded: nothing more happens
			return w.res, nil
		}
		if err != nil {
			return w.res, err
		}
	}
}

// returnRun is one return workflow's state.
type returnRun struct {
	in          ReturnInput
	res         ReturnResult
	deadline    time.Time // when a requested or approved return expires
	expiryTried bool
	// receivedBy is who received the goods: the refund is made in their name.
	receivedBy audit.Actor
}

// awaitOrExpire waits for the next step until the deadline, and then expires the return
// unless it moved on meanwhile (the store decides: a click just before the timer wins).
func (w *returnRun) awaitOrExpire(ctx workflow.Context, events workflow.ReceiveChannel) error {
	if w.expiryTried {
		var ev ReturnEvent
		events.Receive(ctx, &ev)
		return w.apply(ctx, ev)
	}
	timerCtx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	timedOut := false
	var ev ReturnEvent
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(events, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &ev) })
	// A deadline already past (a workflow started late, by a later step) fires at once.
	wait := max(w.deadline.Sub(workflow.Now(ctx)), 0)
	sel.AddFuture(workflow.NewTimer(timerCtx, wait), func(workflow.Future) { timedOut = true })
	sel.Select(ctx)
	if !timedOut {
		return w.apply(ctx, ev)
	}
	w.expiryTried = true
	var a *activities.Returns
	var res activities.ExpireReturnResult
	if err := workflow.ExecuteActivity(ctx, a.ExpireReturn, activities.ExpireReturnInput{ReturnID: w.in.ReturnID}).Get(ctx, &res); err != nil {
		return err
	}
	// Not expired: the return moved on and its signal may still be on the way; take the
	// status from the store, and the signal, when it comes, changes nothing.
	return w.apply(ctx, ReturnEvent{Status: res.Status})
}

// apply takes a step the return took: it notifies of it and, for an approval, sets the
// deadline of the goods. A step the workflow knows already changes nothing.
func (w *returnRun) apply(ctx workflow.Context, ev ReturnEvent) error {
	if ev.Status == "" || ev.Status == w.res.Status {
		return nil
	}
	w.res.Status = ev.Status
	switch ev.Status {
	case store.ReturnApproved:
		w.deadline = ev.ShipBy
		if w.deadline.IsZero() {
			w.deadline = workflow.Now(ctx).Add(w.in.ShipWindow)
		}
		w.expiryTried = false
	case store.ReturnReceived:
		w.receivedBy = ev.Actor
	}
	return w.notify(ctx, ev.Status, 0, ev.Detail)
}

// notify tells customer and seller of an event of the return.
func (w *returnRun) notify(ctx workflow.Context, event string, seq int, detail string) error {
	var a *activities.Returns
	return workflow.ExecuteActivity(ctx, a.NotifyReturn, activities.NotifyReturnInput{ReturnID: w.in.ReturnID,
		Event: event, Seq: seq, Detail: detail}).Get(ctx, nil)
}
