package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"shopflow/config"
	"shopflow/store"
	"shopflow/workflows"
)

// A return waits weeks for its parcel, so it must not hold its build's workers for as long: it
// auto-upgrades. Begun on b1, it takes its steps on b2 once b2 is promoted, and ends refunded.
func TestVersioningReturnsMoveToTheNewBuild(t *testing.T) {
	t.Parallel()
	deployment := "e2e-versioning-" + randHex(4)
	e := newEnv(t, withoutWorker(), withConfig(func(c *config.Config) { c.WorkerDeployment = deployment }))
	cust := e.newCustomer()
	product := e.newProduct(5, 2500)

	e.startBuild("b1")
	e.promote("b1")
	orderID := e.deliveredOrder(cust, line{ProductID: product, Quantity: 1})
	e.wantRanOn(orderID, "b1", 1)
	returnID := e.requestReturn(cust, orderID, 1, 1)
	workflowID := workflows.ReturnWorkflowID(returnID)
	var tasks []workflowTask
	eventually(t, 30*time.Second, func() (bool, error) {
		tasks = e.workflowTasks(workflowID)
		return len(tasks) > 0, nil
	}, func() string { return "the return's first workflow task" })
	if tasks[0].build != "b1" || tasks[0].behavior != enums.VERSIONING_BEHAVIOR_AUTO_UPGRADE {
		t.Fatalf("return began on %s (%v), want b1, auto-upgrade", tasks[0].build, tasks[0].behavior)
	}

	e.startBuild("b2")
	e.promote("b2")
	seller := e.catalog.seller.Token
	e.returnStep(seller, returnID, "approve", map[string]any{"note": "send it back"})
	e.returnStep(cust.Token, returnID, "ship", map[string]any{"tracking": "1Z999AA1"})
	e.returnStep(seller, returnID, "receive", map[string]any{"lines": []map[string]any{{"line_no": 1, "received": 1, "restock": 1}}})
	if res := e.awaitReturn(returnID); res.Status != store.ReturnRefunded {
		t.Fatalf("return ended %+v, want refunded", res)
	}

	tasks = e.workflowTasks(workflowID)
	last := tasks[len(tasks)-1]
	if last.build != "b2" || last.behavior != enums.VERSIONING_BEHAVIOR_AUTO_UPGRADE {
		t.Errorf("return's last workflow task ran on %s (%v), want b2, auto-upgrade (tasks %v)", last.build, last.behavior, tasks)
	}
	d, err := e.temporal.DescribeWorkflowExecution(context.Background(), workflowID, "")
	if err != nil {
		t.Fatal(err)
	}
	if v := d.GetWorkflowExecutionInfo().GetVersioningInfo(); v.GetDeploymentVersion().GetBuildId() != "b2" {
		t.Errorf("return's versioning info %v, want build b2", fmt.Sprint(v))
	}
}
