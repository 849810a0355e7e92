package main

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"shopflow/store"
	"shopflow/workflows"
)

// The baseline is a workflow of the saga's shape with nothing to do: as many local activities as
// workflows.Checkout runs when an order is placed (ReserveInventory, ScreenOrder, ChargePayment,
// ConfirmOrder), the saga's search attributes and its two OrderStatus upserts, started the way
// workflows.Checkouts starts sagas. What is left between it and a checkout is Shopflow's own work.
const (
	bareName  = "BenchBareCheckout"
	noopName  = "BenchNoop"
	sagaSteps = 4
)

// Bare runs sagaSteps no-op local activities, upserting OrderStatus as the saga does.
func Bare(ctx workflow.Context, steps int) (int, error) {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	for i := range steps {
		if err := workflow.ExecuteLocalActivity(ctx, noopName, i).Get(ctx, nil); err != nil {
			return 0, err
		}
		switch i {
		case 0:
			_ = workflow.UpsertTypedSearchAttributes(ctx, workflows.SearchOrderStatus.ValueSet(store.OrderAwaitingPayment))
		case steps - 1:
			_ = workflow.UpsertTypedSearchAttributes(ctx, workflows.SearchOrderStatus.ValueSet(store.OrderPlaced))
		}
	}
	return steps, nil
}

func noop(_ context.Context, step int) (int, error) { return step, nil }

// startBareWorker runs the baseline on a task queue of its own, on the app's Temporal client,
// with the poller settings worker.New gives Shopflow's worker.
func startBareWorker(c client.Client, taskQueue string) (sdkworker.Worker, error) {
	autoscale := sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{})
	w := sdkworker.New(c, taskQueue, sdkworker.Options{WorkflowTaskPollerBehavior: autoscale, ActivityTaskPollerBehavior: autoscale})
	w.RegisterWorkflowWithOptions(Bare, workflow.RegisterOptions{Name: bareName})
	w.RegisterActivityWithOptions(noop, activity.RegisterOptions{Name: noopName})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start baseline worker: %w", err)
	}
	return w, nil
}

// runBare starts one baseline workflow as Checkouts.Start starts a saga (eager, reject-duplicate,
// the three search attributes) and waits for its result.
func runBare(ctx context.Context, c client.Client, taskQueue, id string) error {
	opts := client.StartWorkflowOptions{
		ID: id, TaskQueue: taskQueue, EnableEagerStart: true,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchOrderID.ValueSet(id),
			workflows.SearchCustomerID.ValueSet("bench"), workflows.SearchOrderStatus.ValueSet(store.OrderPending)),
	}
	run, err := c.ExecuteWorkflow(ctx, opts, bareName, sagaSteps)
	if err != nil {
		return fmt.Errorf("start baseline: %w", err)
	}
	var steps int
	if err := run.Get(ctx, &steps); err != nil {
		return fmt.Errorf("baseline workflow: %w", err)
	}
	if steps != sagaSteps {
		return fmt.Errorf("baseline ran %d steps, want %d", steps, sagaSteps)
	}
	return nil
}
