package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"shopflow/store"
)

// Sweep holds the dependencies of the reservation sweep, which takes back stock held by orders
// whose checkout saga is gone (terminated by an operator, say) and restarts sagas that never
// started.
type Sweep struct {
	Store    *store.Store
	Temporal client.Client
	Now      func() time.Time
}

func (a *Sweep) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// ExpiredInput bounds one sweep.
type ExpiredInput struct {
	Limit int
}

// ExpiredOrder is an order whose held stock is past its expiry.
type ExpiredOrder struct {
	OrderID  string
	IntentID string // empty when no payment was started
}

// ExpiredResult lists orders whose held stock is past its expiry. Histories recorded before
// this type existed hold a bare list of ExpiredOrder instead (see workflows.ReservationSweep).
type ExpiredResult struct {
	Orders []ExpiredOrder
}

// ExpiredReservations lists orders whose held stock is past its expiry.
func (a *Sweep) ExpiredReservations(ctx context.Context, in ExpiredInput) (ExpiredResult, error) {
	orders, err := a.Store.ExpiredReservationOrders(ctx, a.now(), in.Limit)
	if err != nil {
		return ExpiredResult{}, fmt.Errorf("expired reservations: %w", err)
	}
	res := ExpiredResult{Orders: make([]ExpiredOrder, len(orders))}
	for i, o := range orders {
		res.Orders[i] = ExpiredOrder{OrderID: o.OrderID, IntentID: o.IntentID}
	}
	return res, nil
}

// RunningInput names workflow executions to look up.
type RunningInput struct {
	WorkflowIDs []string
}

// RunningResult says, by workflow ID, which of the workflows asked about are running.
// Histories recorded before this type existed hold the bare map instead.
type RunningResult struct {
	Running map[string]bool
}

// RunningWorkflows reports which of the workflows are still running. A workflow that does not
// exist is not running.
func (a *Sweep) RunningWorkflows(ctx context.Context, in RunningInput) (RunningResult, error) {
	running := make(map[string]bool, len(in.WorkflowIDs))
	for _, id := range in.WorkflowIDs {
		d, err := a.Temporal.DescribeWorkflowExecution(ctx, id, "")
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			running[id] = false
		case err != nil:
			return RunningResult{}, fmt.Errorf("describe workflow %s: %w", id, err)
		default:
			running[id] = d.GetWorkflowExecutionInfo().GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING
		}
	}
	return RunningResult{Running: running}, nil
}

// StaleInput bounds the search for orders whose saga never started.
type StaleInput struct {
	OlderThan time.Duration
	Limit     int
}

// StaleOrder is an order still pending long after it was written: its saga never started.
type StaleOrder struct{ OrderID, CustomerID string }

// StaleResult lists orders whose saga never started. Histories recorded before this type
// existed hold a bare list of StaleOrder instead.
type StaleResult struct {
	Orders []StaleOrder
}

// StalePendingOrders lists orders still pending long after they were written.
func (a *Sweep) StalePendingOrders(ctx context.Context, in StaleInput) (StaleResult, error) {
	orders, err := a.Store.StalePendingOrders(ctx, a.now().Add(-in.OlderThan), in.Limit)
	if err != nil {
		return StaleResult{}, fmt.Errorf("pending orders older than %s: %w", in.OlderThan, err)
	}
	res := StaleResult{Orders: make([]StaleOrder, len(orders))}
	for i, o := range orders {
		res.Orders[i] = StaleOrder{OrderID: o.OrderID, CustomerID: o.CustomerID}
	}
	return res, nil
}
