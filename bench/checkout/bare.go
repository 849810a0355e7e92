package main

import (
	"context"
	"errors"
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

// The engine baselines: workflows that do what the checkout saga asks of Temporal on its
// success path, three activity executions in a row, with activities that do nothing.
const (
	bareLocalName   = "BenchBareLocal"
	bareRegularName = "BenchBareRegular"
	noopName        = "BenchNoop"
	// sagaSuccessSteps is how many local activities workflows.Checkout runs when an order is
	// placed: ReserveInventory, ChargePayment, ConfirmOrder.
	sagaSuccessSteps = 3
)

// BareInput says how many steps to run and whether to keep search attributes as the saga does.
type BareInput struct {
	Steps int
	// SearchAttributes starts the workflow with the saga's three search attributes.
	SearchAttributes bool
	// Upserts is how many of the saga's OrderStatus upserts to make: 2 as the saga does (after
	// reserving and when placed), 1 only when placed, 0 none.
	Upserts int
}

// BareResult is what a bare workflow returns.
type BareResult struct {
	Steps int
}

// BareLocal runs Steps no-op local activities.
func BareLocal(ctx workflow.Context, in BareInput) (BareResult, error) {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	for i := range in.Steps {
		if err := workflow.ExecuteLocalActivity(ctx, noopName, i).Get(ctx, nil); err != nil {
			return BareResult{}, err
		}
		upsertLikeSaga(ctx, in, i)
	}
	return BareResult{Steps: in.Steps}, nil
}

// BareRegular runs Steps no-op regular (task-queue dispatched) activities.
func BareRegular(ctx workflow.Context, in BareInput) (BareResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	for i := range in.Steps {
		if err := workflow.ExecuteActivity(ctx, noopName, i).Get(ctx, nil); err != nil {
			return BareResult{}, err
		}
		upsertLikeSaga(ctx, in, i)
	}
	return BareResult{Steps: in.Steps}, nil
}

func upsertLikeSaga(ctx workflow.Context, in BareInput, step int) {
	switch {
	case step == 0 && in.Upserts >= 2:
		_ = workflow.UpsertTypedSearchAttributes(ctx, workflows.SearchOrderStatus.ValueSet(store.OrderAwaitingPayment))
	case step == in.Steps-1 && in.Upserts >= 1:
		_ = workflow.UpsertTypedSearchAttributes(ctx, workflows.SearchOrderStatus.ValueSet(store.OrderPlaced))
	}
}

// noop is the activity of the bare workflows.
func noop(_ context.Context, step int) (int, error) { return step, nil }

// startBareWorker runs the bare workflows on a task queue of their own, on the app's client,
// with the same worker options as the app's worker.
func startBareWorker(c client.Client, taskQueue string, opts sdkworker.Options) (sdkworker.Worker, error) {
	w := sdkworker.New(c, taskQueue, opts)
	w.RegisterWorkflowWithOptions(BareLocal, workflow.RegisterOptions{Name: bareLocalName})
	w.RegisterWorkflowWithOptions(BareRegular, workflow.RegisterOptions{Name: bareRegularName})
	w.RegisterActivityWithOptions(noop, activity.RegisterOptions{Name: noopName})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start bare worker: %w", err)
	}
	return w, nil
}

// bareStarter starts bare workflows with the options Checkouts.Start uses for sagas.
type bareStarter struct {
	client    client.Client
	taskQueue string
	eager     bool
}

func (b *bareStarter) start(ctx context.Context, name, id string, in BareInput) error {
	opts := client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                b.taskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		EnableEagerStart:         b.eager,
	}
	if in.SearchAttributes {
		opts.TypedSearchAttributes = temporal.NewSearchAttributes(
			workflows.SearchOrderID.ValueSet(id), workflows.SearchCustomerID.ValueSet("bench"),
			workflows.SearchOrderStatus.ValueSet("pending"))
	}
	_, err := b.client.ExecuteWorkflow(ctx, opts, name, in)
	return err
}

// awaitBare waits for a bare workflow to finish and checks its result.
func awaitBare(ctx context.Context, observer client.Client, id string, in BareInput) error {
	var res BareResult
	if err := observer.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		return err
	}
	if res.Steps != in.Steps {
		return errors.New("bare workflow ran the wrong number of steps")
	}
	return nil
}
