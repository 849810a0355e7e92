package workflows

import (
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/store"
)

// Names of the reservation sweep.
const (
	SweepWorkflowName = "ReservationSweep"
	SweepScheduleID   = "reservation-sweep"
)

// SweepInput tunes one sweep; zero values take the defaults.
type SweepInput struct {
	// Limit caps the orders handled per run, so one run stays small; the next run continues.
	Limit int
	// StaleAfter is how long an order may stay pending before its saga is assumed never started.
	StaleAfter time.Duration
}

// SweepResult counts what a sweep did.
type SweepResult struct {
	Released  int // orders whose abandoned stock was released
	Restarted int // sagas started for orders left pending
}

// ReservationSweep releases stock held past its expiry by orders whose checkout saga is no
// longer running, and starts the saga of orders left pending (their start failed, e.g. while
// Temporal was unreachable), so no stock leaks and no order is stranded.
func ReservationSweep(ctx workflow.Context, in SweepInput) (SweepResult, error) {
	if in.Limit <= 0 {
		in.Limit = 500
	}
	if in.StaleAfter <= 0 {
		in.StaleAfter = 2 * time.Minute
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
	var sweep *activities.Sweep
	var checkout *activities.Checkout
	var res SweepResult

	var expired []store.ExpiredOrder
	if err := workflow.ExecuteActivity(ctx, sweep.ExpiredReservations, activities.ExpiredInput{Limit: in.Limit}).Get(ctx, &expired); err != nil {
		return res, err
	}
	if len(expired) > 0 {
		ids := make([]string, len(expired))
		for i, e := range expired {
			ids[i] = CheckoutWorkflowID(e.OrderID)
		}
		var running map[string]bool
		if err := workflow.ExecuteActivity(ctx, sweep.RunningWorkflows, activities.RunningInput{WorkflowIDs: ids}).Get(ctx, &running); err != nil {
			return res, err
		}
		for _, e := range expired { // slice order, not map order: deterministic
			if running[CheckoutWorkflowID(e.OrderID)] {
				continue // its saga still owns the stock and will settle it
			}
			// The saga is gone, so nobody else will undo its payment: void it (or refund it, if
			// the shopper completed it after the saga died) before the order is canceled.
			if e.IntentID != "" {
				var voided activities.VoidResult
				if err := workflow.ExecuteActivity(ctx, checkout.VoidPayment,
					activities.VoidInput{OrderID: e.OrderID, IntentID: e.IntentID}).Get(ctx, &voided); err != nil {
					return res, err
				}
			}
			var released store.ReleaseResult
			if err := workflow.ExecuteActivity(ctx, checkout.ReleaseOrder,
				activities.ReleaseInput{OrderID: e.OrderID, Reason: store.ReasonReservationExpiry}).Get(ctx, &released); err != nil {
				return res, err
			}
			if released.Canceled {
				res.Released++
			}
		}
	}

	var stale []store.StaleOrder
	if err := workflow.ExecuteActivity(ctx, sweep.StalePendingOrders,
		activities.StaleInput{OlderThan: in.StaleAfter, Limit: in.Limit}).Get(ctx, &stale); err != nil {
		return res, err
	}
	for _, o := range stale {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            CheckoutWorkflowID(o.OrderID),
			WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				SearchOrderID.ValueSet(o.OrderID), SearchCustomerID.ValueSet(o.CustomerID), SearchOrderStatus.ValueSet(store.OrderPending)),
		})
		child := workflow.ExecuteChildWorkflow(cctx, CheckoutWorkflowName, CheckoutInput{OrderID: o.OrderID, CustomerID: o.CustomerID})
		var started workflow.Execution
		err := child.GetChildWorkflowExecution().Get(ctx, &started)
		if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			continue // a saga exists after all: it will move the order
		}
		if err != nil {
			return res, err
		}
		res.Restarted++
	}
	return res, nil
}
