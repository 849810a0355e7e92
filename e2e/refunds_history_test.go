package e2e

import (
	"net/http"
	"testing"

	"shopflow/store"
	"shopflow/workflows"
)

// TestRecordRefundHistories records, for workflows/replay_test.go, a CancelPlaced run that
// refunded at once and one whose refund the provider refused until an admin retried it, the
// way TestRecordHistories does for the checkout:
//
//	go test ./e2e -run TestRecordRefundHistories -record-histories
func TestRecordRefundHistories(t *testing.T) {
	if !recording() {
		t.Skip("records histories only with -record-histories or SHOPFLOW_RECORD_HISTORIES=1")
	}
	e := newEnv(t)
	admin, cust := e.newAdmin(), e.newCustomer()
	lamp := e.newProduct(10, 1250)

	o := e.refundsPlacedOrder(cust, cardVisa, line{ProductID: lamp, Quantity: 2})
	code, c, err := e.refundsCancelLine(admin.Token, o.ID, 1, 1)
	if err != nil || code != http.StatusAccepted {
		t.Fatalf("cancel: %d %v", code, err)
	}
	e.awaitCancellation(c.ID, store.CancellationCompleted)
	e.refundsAwaitClosed(workflows.CancelPlacedWorkflowID(c.ID))
	e.saveHistory("cancel_placed", workflows.CancelPlacedWorkflowID(c.ID))

	refused := e.refundsPlacedOrder(cust, "pm_card_refundFail", line{ProductID: lamp, Quantity: 1})
	code, c, err = e.refundsCancelLine(admin.Token, refused.ID, 1, 1)
	if err != nil || code != http.StatusAccepted {
		t.Fatalf("cancel: %d %v", code, err)
	}
	e.awaitCancellation(c.ID, store.CancellationRefundFailed)
	var failed struct{ Items []store.Refund }
	e.mustSend(request{method: "GET", path: "/api/v1/admin/refunds?status=failed", token: admin.Token}, &failed, http.StatusOK)
	if len(failed.Items) != 1 {
		t.Fatalf("failed refunds %+v, want one", failed.Items)
	}
	if _, err := e.db.Exec(t.Context(), `UPDATE sandbox_intents SET refuse_refunds = false WHERE id = $1`, refused.intentID()); err != nil {
		t.Fatal(err)
	}
	e.mustSend(request{method: "POST", path: "/api/v1/admin/refunds/" + failed.Items[0].ID + "/retry", token: admin.Token}, nil, http.StatusAccepted)
	e.awaitCancellation(c.ID, store.CancellationCompleted)
	e.refundsAwaitClosed(workflows.CancelPlacedWorkflowID(c.ID))
	e.saveHistory("cancel_placed_refund_retried", workflows.CancelPlacedWorkflowID(c.ID))
}

// refundsAwaitClosed waits for the workflow's latest run to close.
func (e *env) refundsAwaitClosed(workflowID string) {
	e.t.Helper()
	if err := e.temporal.GetWorkflow(e.t.Context(), workflowID, "").Get(e.t.Context(), nil); err != nil {
		e.t.Fatalf("workflow %s: %v", workflowID, err)
	}
}
