package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"shopflow/app"
	"shopflow/config"
	"shopflow/worker"
	"shopflow/workflows"
)

// A deploy under Worker Versioning: sagas that began on build b1 finish on b1 after b2 is
// promoted, sagas begun after the promotion run on b2, all of them end placed; promoting b1
// again (the rollback) sends the next saga to b1.
func TestVersioningSagasFinishOnTheirBuild(t *testing.T) {
	t.Parallel()
	deployment := "e2e-versioning-" + randHex(4)
	e := newEnv(t, withoutWorker(), withConfig(func(c *config.Config) { c.WorkerDeployment = deployment }))
	product := e.newProduct(10, 1500)
	cust := e.newCustomer()

	e.startBuild("b1")
	e.promote("b1")
	old := e.sagasAwaiting3DS(cust, product, 2)

	e.startBuild("b2")
	e.promote("b2")
	e.wantBuildState("b1", "draining")
	for _, id := range old { // still pinned to b1 while they wait
		e.wantPinned(id, "b1")
	}
	fresh := e.sagasAwaiting3DS(cust, product, 2)

	for _, id := range append(append([]string{}, old...), fresh...) {
		e.completePayment(cust, e.order(cust, id).intentID(), true)
	}
	for _, id := range old {
		e.wantPlaced(cust, id, e.awaitSaga(id))
		e.wantRanOn(id, "b1", awaited3DSTasks)
	}
	for _, id := range fresh {
		e.wantPlaced(cust, id, e.awaitSaga(id))
		e.wantRanOn(id, "b2", awaited3DSTasks)
	}

	// Rollback: b1 is current again, and the next saga runs on it.
	e.promote("b1")
	back := e.sagasAwaiting3DS(cust, product, 1)[0]
	e.completePayment(cust, e.order(cust, back).intentID(), true)
	e.wantPlaced(cust, back, e.awaitSaga(back))
	e.wantRanOn(back, "b1", awaited3DSTasks)
	if s := e.deploymentStatus(); s.Current != "b1" {
		t.Errorf("after the rollback the current build is %q, want b1", s.Current)
	}
}

// awaited3DSTasks: a saga that waited for 3-D Secure took at least two workflow tasks, the
// start and the step after the payment completed.
const awaited3DSTasks = 2

// startBuild runs a checkout worker of the build as its own process would: its own Temporal
// client and connections, SHOPFLOW_WORKER_BUILD_ID set. It stops when the test ends.
func (e *env) startBuild(buildID string) {
	e.t.Helper()
	cfg := e.cfg
	cfg.WorkerBuildID = buildID
	cfg.WorkerQueues = []string{config.QueueCheckout}
	c, err := client.Dial(client.Options{HostPort: suite.address, Namespace: cfg.TemporalNamespace, Logger: temporalLogger()})
	if err != nil {
		e.t.Fatalf("connect build %s to temporal: %v", buildID, err)
	}
	e.t.Cleanup(c.Close)
	a, err := app.Open(context.Background(), cfg, app.Options{Logger: slog.New(slog.DiscardHandler), Temporal: c})
	if err != nil {
		e.t.Fatalf("open build %s: %v", buildID, err)
	}
	e.t.Cleanup(a.Close)
	w := a.NewWorker()
	if err := w.Start(); err != nil {
		e.t.Fatalf("start build %s's worker: %v", buildID, err)
	}
	e.t.Cleanup(w.Stop)
}

// promote makes the build current, as `shopflow temporal deploy promote --build` does.
func (e *env) promote(buildID string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := worker.Promote(ctx, e.temporal, worker.Promotion{Deployment: e.cfg.WorkerDeployment, BuildID: buildID,
		Wait: 45 * time.Second}); err != nil {
		e.t.Fatal(err)
	}
	if s := e.deploymentStatus(); s.Current != buildID {
		e.t.Fatalf("after promoting %s the current build is %q", buildID, s.Current)
	}
}

func (e *env) deploymentStatus() worker.DeploymentStatus {
	e.t.Helper()
	s, err := worker.Status(context.Background(), e.temporal, e.cfg.WorkerDeployment)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// wantBuildState waits until `deploy status` shows the build in state.
func (e *env) wantBuildState(buildID, state string) {
	e.t.Helper()
	var s worker.DeploymentStatus
	eventually(e.t, 30*time.Second, func() (bool, error) {
		s = e.deploymentStatus()
		for _, v := range s.Versions {
			if v.BuildID == buildID {
				return v.State == state, nil
			}
		}
		return false, nil
	}, func() string { return fmt.Sprintf("build %s %s (status %+v)", buildID, state, s) })
}

// sagasAwaiting3DS starts n checkouts with a card that needs 3-D Secure and waits until each
// saga waits for it.
func (e *env) sagasAwaiting3DS(cust account, product int64, n int) []string {
	e.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.checkout(cust, checkoutOf(card3DS, line{ProductID: product, Quantity: 1})).ID
	}
	for _, id := range ids {
		e.awaitStep(id, workflows.StepAwaitingPayment)
	}
	return ids
}

// wantPinned checks the running saga is pinned to the build.
func (e *env) wantPinned(orderID, buildID string) {
	e.t.Helper()
	d, err := e.temporal.DescribeWorkflowExecution(context.Background(), workflows.CheckoutWorkflowID(orderID), "")
	if err != nil {
		e.t.Fatal(err)
	}
	v := d.GetWorkflowExecutionInfo().GetVersioningInfo()
	if v.GetBehavior() != enums.VERSIONING_BEHAVIOR_PINNED || v.GetDeploymentVersion().GetBuildId() != buildID ||
		v.GetDeploymentVersion().GetDeploymentName() != e.cfg.WorkerDeployment {
		e.t.Errorf("saga of %s: versioning %v, want pinned to %s of %s", orderID, v, buildID, e.cfg.WorkerDeployment)
	}
}

// wantRanOn checks every workflow task of the order's saga, at least minTasks, was completed
// by the build, pinned.
func (e *env) wantRanOn(orderID, buildID string, minTasks int) {
	e.t.Helper()
	tasks := e.workflowTasks(workflows.CheckoutWorkflowID(orderID))
	for _, task := range tasks {
		if task.build != buildID || task.behavior != enums.VERSIONING_BEHAVIOR_PINNED {
			e.t.Errorf("saga of %s: workflow task completed by %s (%v), want pinned build %s", orderID, task.build, task.behavior, buildID)
		}
	}
	if len(tasks) < minTasks {
		e.t.Errorf("saga of %s: %d workflow tasks completed, want at least %d", orderID, len(tasks), minTasks)
	}
}

type workflowTask struct {
	build    string
	behavior enums.VersioningBehavior
}

// workflowTasks lists the build and behaviour of each completed workflow task in the history.
func (e *env) workflowTasks(workflowID string) []workflowTask {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := e.temporal.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var tasks []workflowTask
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			e.t.Fatalf("history of %s: %v", workflowID, err)
		}
		if a := ev.GetWorkflowTaskCompletedEventAttributes(); a != nil {
			if name := a.GetDeploymentVersion().GetDeploymentName(); name != e.cfg.WorkerDeployment {
				e.t.Errorf("%s: workflow task %d completed by deployment %q, want %s", workflowID, ev.GetEventId(), name, e.cfg.WorkerDeployment)
			}
			tasks = append(tasks, workflowTask{a.GetDeploymentVersion().GetBuildId(), a.GetVersioningBehavior()})
		}
	}
	return tasks
}
