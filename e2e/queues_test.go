package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"shopflow/app"
	"shopflow/config"
	"shopflow/workflows"
)

// A worker that serves only the checkout queue runs sagas and never batch work: a top sellers
// run started on the batch queue before a saga stays untouched (no poller on its queue, its
// first workflow task still scheduled) after the saga has placed its order. A batch worker
// started afterwards completes it.
func TestQueueCheckoutWorkerRunsNoBatchWork(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConfig(func(c *config.Config) {
		c.BatchTaskQueue = c.TaskQueue + "-batch"
		c.WorkerQueues = []string{config.QueueCheckout}
	}))
	ctx := context.Background()
	// An ID of its own: TriggerTopSellers's hourly ID is shared with other tests' runs.
	run, err := e.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "queues-topsellers-" + randHex(4),
		TaskQueue: e.cfg.BatchTaskQueue, WorkflowExecutionTimeout: 5 * time.Minute}, workflows.TopSellersWorkflowName,
		workflows.TopSellersInput{Window: 24 * time.Hour, N: 10, At: time.Now().UTC().Truncate(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	product := e.newProduct(5, 1500)
	cust := e.newCustomer()
	o := e.checkout(cust, checkoutOf(cardVisa, line{ProductID: product, Quantity: 1}))
	e.wantPlaced(cust, o.ID, e.awaitSaga(o.ID))

	e.wantPollers(e.cfg.TaskQueue, true)
	e.wantPollers(e.cfg.BatchTaskQueue, false)
	e.wantUntouched(run.GetID())

	cfg := e.cfg
	cfg.WorkerQueues = []string{config.QueueBatch}
	a, err := app.Open(ctx, cfg, app.Options{Logger: slog.New(slog.DiscardHandler), Temporal: e.temporal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	w := a.NewWorker()
	if got := w.Queues(); len(got) != 1 || got[0] != e.cfg.BatchTaskQueue {
		t.Fatalf("batch-only worker polls %v, want [%s]", got, e.cfg.BatchTaskQueue)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	wait, cancel := context.WithTimeout(ctx, sagaDeadline)
	defer cancel()
	var res workflows.TopSellersResult
	if err := run.Get(wait, &res); err != nil {
		t.Fatalf("top sellers run with a batch worker: %v", err)
	}
	if res.Generation == "" {
		t.Errorf("top sellers result %+v, want a published generation", res)
	}
	e.wantPollers(e.cfg.BatchTaskQueue, true)
}

// wantPollers checks whether anything polls queue for workflow tasks; pollers show within
// seconds of a worker's start.
func (e *env) wantPollers(queue string, want bool) {
	e.t.Helper()
	pollers := func() (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d, err := e.temporal.DescribeTaskQueue(ctx, queue, enums.TASK_QUEUE_TYPE_WORKFLOW)
		if err != nil {
			return 0, fmt.Errorf("describe task queue %s: %w", queue, err)
		}
		return len(d.GetPollers()), nil
	}
	if !want {
		if n, err := pollers(); err != nil || n != 0 {
			e.t.Errorf("task queue %s: %d pollers (%v), want none", queue, n, err)
		}
		return
	}
	eventually(e.t, 30*time.Second, func() (bool, error) {
		n, err := pollers()
		return n > 0, err
	}, func() string { return "a poller on task queue " + queue })
}

// wantUntouched checks no worker has taken a workflow task of the run: it is running, its
// first task scheduled and never started.
func (e *env) wantUntouched(workflowID string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := e.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		e.t.Fatal(err)
	}
	if s := d.GetWorkflowExecutionInfo().GetStatus(); s != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		e.t.Errorf("batch run %s is %s, want running", workflowID, s)
	}
	if s := d.GetPendingWorkflowTask().GetState(); s != enums.PENDING_WORKFLOW_TASK_STATE_SCHEDULED {
		e.t.Errorf("batch run %s: pending workflow task %s, want scheduled", workflowID, s)
	}
	events := e.temporal.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for events.HasNext() {
		ev, err := events.Next()
		if err != nil {
			e.t.Fatal(err)
		}
		if t := ev.GetEventType(); t == enums.EVENT_TYPE_WORKFLOW_TASK_STARTED || t == enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			e.t.Errorf("batch run %s: %s by %s, want no worker to have taken it", workflowID, t,
				ev.GetWorkflowTaskStartedEventAttributes().GetIdentity())
		}
	}
}

// queueFor is the task queue a workflow type runs on in this deployment: the checkout queue
// for what workflows.RegisterCheckout registers, the batch queue for the rest.
func (e *env) queueFor(workflowType string) string {
	checkout := checkoutTypes{}
	workflows.RegisterCheckout(checkout)
	if checkout[workflowType] {
		return e.cfg.TaskQueue
	}
	return e.cfg.BatchTaskQueue
}

// checkoutTypes records the workflow types registered on it.
type checkoutTypes map[string]bool

func (c checkoutTypes) RegisterWorkflowWithOptions(_ any, o workflow.RegisterOptions) {
	c[o.Name] = true
}
