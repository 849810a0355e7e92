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

// ExpiredReservations lists orders whose held stock is past its expiry.
func (a *Sweep) ExpiredReservations(ctx context.Context, in ExpiredInput) ([]store.ExpiredOrder, error) {
	return a.Store.ExpiredReservationOrders(ctx, a.now(), in.Limit)
}

// RunningInput names workflow executions to look up.
type RunningInput struct {
	WorkflowIDs []string
}

// RunningWorkflows reports which of the workflows are still running. A workflow that does not
// exist is not running.
func (a *Sweep) RunningWorkflows(ctx context.Context, in RunningInput) (map[string]bool, error) {
	running := make(map[string]bool, len(in.WorkflowIDs))
	for _, id := range in.WorkflowIDs {
		d, err := a.Temporal.DescribeWorkflowExecution(ctx, id, "")
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			running[id] = false
		case err != nil:
			return nil, fmt.Errorf("describe workflow %s: %w", id, err)
		default:
			running[id] = d.GetWorkflowExecutionInfo().GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING
		}
	}
	return running, nil
}

// StaleInput bounds the search for orders whose saga never started.
type StaleInput struct {
	OlderThan time.Duration
	Limit     int
}

// StalePendingOrders lists orders still pending long after they were written.
func (a *Sweep) StalePendingOrders(ctx context.Context, in StaleInput) ([]store.StaleOrder, error) {
	return a.Store.StalePendingOrders(ctx, a.now().Add(-in.OlderThan), in.Limit)
}
