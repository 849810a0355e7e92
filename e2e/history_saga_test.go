package e2e

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"shopflow/store"
	"shopflow/workflows"
)

// sagaUpdateHistories prefixes the histories of sagas that take cancels by update and hand long
// steps over to regular activities (workflows' cancelUpdateChange), recorded beside the older
// checkout histories, which must keep replaying.
const sagaUpdateHistories = "checkout_update_"

// TestRecordSagaHistories records, for workflows/replay_test.go, one saga down each path the
// checkout takes with the cancel update, a saga the sweep restarted with the configured payment
// timeout, and a daily report that names its day by activity:
//
//	go test ./e2e -run TestRecordSagaHistories -record-histories
func TestRecordSagaHistories(t *testing.T) {
	if !recording() {
		t.Skip("records histories only with -record-histories or SHOPFLOW_RECORD_HISTORIES=1")
	}
	e := newEnv(t)
	cust, product := e.recordPlacedAndDeclined(sagaUpdateHistories)

	canceled := e.checkout(cust, checkoutOf(card3DS, line{ProductID: product, Quantity: 1}))
	e.awaitStep(canceled.ID, workflows.StepAwaitingPayment)
	if out, err := e.cancelSaga(canceled.ID); err != nil || !out.Canceled {
		t.Fatalf("cancel update: %+v, %v: not the path to record", out, err)
	}
	wantOutcome(t, e.awaitSaga(canceled.ID), store.OrderCanceled, store.ReasonCanceledByUser)
	e.saveHistory(sagaUpdateHistories+"canceled", workflows.CheckoutWorkflowID(canceled.ID))

	e.record3DSCompleted(sagaUpdateHistories, cust, product)

	stranded := e.strandedOrder(cust, product, 1, card3DS)
	sweepID := e.runSweepWith(workflows.SweepInput{PaymentTimeout: 2 * time.Second})
	wantOutcome(t, e.awaitSaga(stranded), store.OrderCanceled, store.ReasonPaymentTimeout)
	e.saveHistory(sagaUpdateHistories+"sweep", sweepID)
	e.saveHistory(sagaUpdateHistories+"restarted_by_sweep", workflows.CheckoutWorkflowID(stranded))

	report := e.runDailyReport(workflows.DailyReportInput{TimeZone: "Asia/Tokyo"})
	e.saveHistory("daily_report_zone_by_activity", report)
}

// runSweepWith runs one reservation sweep with the input given and returns its workflow ID.
func (e *env) runSweepWith(in workflows.SweepInput) string {
	e.t.Helper()
	return e.runToEnd("sweep-", workflows.SweepWorkflowName, in)
}

// runDailyReport runs one daily report with the input given and returns its workflow ID.
func (e *env) runDailyReport(in workflows.DailyReportInput) string {
	e.t.Helper()
	return e.runToEnd("report-", workflows.DailyReportWorkflowName, in)
}

// runToEnd runs a workflow on the env's task queue until it completes.
func (e *env) runToEnd(idPrefix, workflowType string, in any) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sagaDeadline)
	defer cancel()
	id := idPrefix + randHex(6)
	run, err := e.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: e.queueFor(workflowType)}, workflowType, in)
	if err != nil {
		e.t.Fatalf("start %s: %v", workflowType, err)
	}
	if err := run.Get(ctx, nil); err != nil {
		e.t.Fatalf("%s %s: %v", workflowType, id, err)
	}
	return id
}

// TestRecordReleaseFirstHistories records compensations that release the order before undoing
// its payment (workflows' releaseFirstChange): a declined charge, and a cancel while 3-D Secure
// waits (which voids an open payment after the release).
//
//	go test ./e2e -run TestRecordReleaseFirstHistories -record-histories
func TestRecordReleaseFirstHistories(t *testing.T) {
	if !recording() {
		t.Skip("records histories only with -record-histories or SHOPFLOW_RECORD_HISTORIES=1")
	}
	e := newEnv(t)
	const prefix = "checkout_release_first_"
	cust, product := e.recordPlacedAndDeclined(prefix)
	canceled := e.checkout(cust, checkoutOf(card3DS, line{ProductID: product, Quantity: 1}))
	e.awaitStep(canceled.ID, workflows.StepAwaitingPayment)
	e.cancelOrder(cust, canceled.ID)
	wantOutcome(t, e.awaitSaga(canceled.ID), store.OrderCanceled, store.ReasonCanceledByUser)
	e.saveHistory(prefix+"canceled", workflows.CheckoutWorkflowID(canceled.ID))
}
