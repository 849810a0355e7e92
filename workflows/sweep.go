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
	// PaymentTimeout is the payment timeout of the sagas the sweep starts
	// (SHOPFLOW_PAYMENT_TIMEOUT), as the API gives the sagas it starts; zero takes the saga's
	// default, as sweeps scheduled before the field existed do.
	PaymentTimeout time.Duration
	// FraudReviewTimeout is their fraud review timeout (SHOPFLOW_FRAUD_REVIEW_TIMEOUT); zero
	// takes the saga's default.
	FraudReviewTimeout time.Duration `json:",omitempty"`
}

// SweepResult counts what a sweep did.
type SweepResult struct {
	Released  int // orders whose abandoned stock was released
	Restarted int // sagas started for orders left pending
}

// sweepResultsChange guards the sweep's decoding of its activities' results: histories
// recorded before the activities returned Result structs hold a bare list or map instead.
const sweepResultsChange = "sweep-activity-results"

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
	s := sweepRun{results: workflow.GetVersion(ctx, sweepResultsChange, workflow.DefaultVersion, 1)}
	var res SweepResult
	released, err := s.releaseAbandoned(ctx, in.Limit)
	res.Released = released
	if err != nil {
		return res, err
	}
	res.Restarted, err = s.restartStale(ctx, in)
	return res, err
}

// sweepRun is one sweep: which shape its activities' results have in this history.
type sweepRun struct {
	results workflow.Version
}

// releaseAbandoned releases the expired reservations of orders whose saga is gone, voiding
// their payment first, and returns how many orders it canceled.
func (s sweepRun) releaseAbandoned(ctx workflow.Context, limit int) (int, error) {
	expired, err := s.expiredReservations(ctx, limit)
	if err != nil || len(expired) == 0 {
		return 0, err
	}
	ids := make([]string, len(expired))
	for i, e := range expired {
		ids[i] = CheckoutWorkflowID(e.OrderID)
	}
	running, err := s.runningWorkflows(ctx, ids)
	if err != nil {
		return 0, err
	}
	var checkout *activities.Checkout
	n := 0
	for _, e := range expired { // slice order, not map order: deterministic
		if running[CheckoutWorkflowID(e.OrderID)] {
			continue // its saga still owns the stock and will settle it
		}
		// The saga is gone, so nobody else will undo its payment: void it (or refund it, if
		// the shopper completed it after the saga died) before the order is canceled.
		if e.IntentID != "" {
			var voided activities.VoidResult
			//lint:ignore S1016 the two types match by chance; a field added to one must not flow into the other
			in := activities.VoidInput{OrderID: e.OrderID, IntentID: e.IntentID}
			if err := workflow.ExecuteActivity(ctx, checkout.VoidPayment, in).Get(ctx, &voided); err != nil {
				return n, err
			}
		}
		var released activities.ReleaseResult
		if err := workflow.ExecuteActivity(ctx, checkout.ReleaseOrder,
			activities.ReleaseInput{OrderID: e.OrderID, Reason: store.ReasonReservationExpiry}).Get(ctx, &released); err != nil {
			return n, err
		}
		if released.Canceled {
			n++
		}
	}
	return n, nil
}

// restartStale starts the saga of each order left pending and returns how many it started.
func (s sweepRun) restartStale(ctx workflow.Context, in SweepInput) (int, error) {
	stale, err := s.stalePendingOrders(ctx, in)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range stale {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            CheckoutWorkflowID(o.OrderID),
			WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				SearchOrderID.ValueSet(o.OrderID), SearchCustomerID.ValueSet(o.CustomerID), SearchOrderStatus.ValueSet(store.OrderPending)),
		})
		child := workflow.ExecuteChildWorkflow(cctx, CheckoutWorkflowName,
			CheckoutInput{OrderID: o.OrderID, CustomerID: o.CustomerID, PaymentTimeout: in.PaymentTimeout,
				FraudReviewTimeout: in.FraudReviewTimeout})
		var started workflow.Execution
		err := child.GetChildWorkflowExecution().Get(ctx, &started)
		if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			continue // a saga exists after all: it will move the order
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (s sweepRun) expiredReservations(ctx workflow.Context, limit int) ([]activities.ExpiredOrder, error) {
	var sweep *activities.Sweep
	f := workflow.ExecuteActivity(ctx, sweep.ExpiredReservations, activities.ExpiredInput{Limit: limit})
	if s.results == workflow.DefaultVersion {
		var orders []activities.ExpiredOrder
		err := f.Get(ctx, &orders)
		return orders, err
	}
	var res activities.ExpiredResult
	err := f.Get(ctx, &res)
	return res.Orders, err
}

func (s sweepRun) runningWorkflows(ctx workflow.Context, ids []string) (map[string]bool, error) {
	var sweep *activities.Sweep
	f := workflow.ExecuteActivity(ctx, sweep.RunningWorkflows, activities.RunningInput{WorkflowIDs: ids})
	if s.results == workflow.DefaultVersion {
		var running map[string]bool
		err := f.Get(ctx, &running)
		return running, err
	}
	var res activities.RunningResult
	err := f.Get(ctx, &res)
	return res.Running, err
}

func (s sweepRun) stalePendingOrders(ctx workflow.Context, in SweepInput) ([]activities.StaleOrder, error) {
	var sweep *activities.Sweep
	f := workflow.ExecuteActivity(ctx, sweep.StalePendingOrders, activities.StaleInput{OlderThan: in.StaleAfter, Limit: in.Limit})
	if s.results == workflow.DefaultVersion {
		var orders []activities.StaleOrder
		err := f.Get(ctx, &orders)
		return orders, err
	}
	var res activities.StaleResult
	err := f.Get(ctx, &res)
	return res.Orders, err
}
