package e2e

import (
	"testing"

	"shopflow/store"
	"shopflow/workflows"
)

// returnHistories prefixes the names of the return workflow histories recorded for
// workflows/replay_test.go.
const returnHistories = "return_"

// TestRecordReturnHistories records a return down each path the dev server can take quickly:
// refunded after receipt, rejected, and canceled by its customer:
//
//	go test ./e2e -run TestRecordReturnHistories -record-histories
func TestRecordReturnHistories(t *testing.T) {
	if !recording() {
		t.Skip("records histories only with -record-histories or SHOPFLOW_RECORD_HISTORIES=1")
	}
	e := newEnv(t)
	_, _, _, refunded := e.receiveTwoOfThree()
	if res := e.awaitReturn(refunded); res.Status != store.ReturnRefunded {
		t.Fatalf("return ended %+v: not the path to record", res)
	}
	e.saveHistory(returnHistories+"refunded", workflows.ReturnWorkflowID(refunded))

	cust := e.newCustomer()
	orderID := e.deliveredOrder(cust, line{ProductID: e.newProduct(5, 700), Quantity: 2})
	rejected := e.requestReturn(cust, orderID, 1, 1)
	e.returnStep(e.catalog.seller.Token, rejected, "reject", map[string]any{"note": "used"})
	if res := e.awaitReturn(rejected); res.Status != store.ReturnRejected {
		t.Fatalf("return ended %+v: not the path to record", res)
	}
	e.saveHistory(returnHistories+"rejected", workflows.ReturnWorkflowID(rejected))

	canceled := e.requestReturn(cust, orderID, 1, 1)
	e.returnStep(cust.Token, canceled, "cancel", nil)
	if res := e.awaitReturn(canceled); res.Status != store.ReturnCanceled {
		t.Fatalf("return ended %+v: not the path to record", res)
	}
	e.saveHistory(returnHistories+"canceled", workflows.ReturnWorkflowID(canceled))
}
