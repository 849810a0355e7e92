package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"shopflow/store"
	"shopflow/workflows"
)

// recording reports whether this run records histories for workflows/replay_test.go.
func recording() bool {
	return *recordHistories || os.Getenv("SHOPFLOW_RECORD_HISTORIES") == "1"
}

// checkoutHistories prefixes the names of the histories TestRecordHistories records.
const checkoutHistories = "checkout_"

// historyGeneration ends the name of every history recorded from now on. Recorded files are
// never overwritten (writeHistory), so a change that reshapes histories (a versioned workflow
// change, activity results of a new shape) records beside the old files under a new
// generation; the old files stay, proving that executions recorded in their shape can finish.
// The generation "" holds the histories recorded before activities had Result types of their
// own, "_results" those recorded before sagas screened on one version marker (screenedVersion),
// "_v2" those recorded before sagas carried their version in their input and no marker
// (CheckoutInput.Version).
const historyGeneration = "_v3"

// TestRecordHistories runs one saga down each path the checkout takes, plus a sweep, against
// the real server, and writes their histories to workflows/testdata (writeHistory), where
// workflows/replay_test.go replays them against the current workflow code. Run it after a
// deliberate, versioned workflow change:
//
//	go test ./e2e -run TestRecordHistories -record-histories
func TestRecordHistories(t *testing.T) {
	if !recording() {
		t.Skip("records histories only with -record-histories or SHOPFLOW_RECORD_HISTORIES=1")
	}
	e := newEnv(t)
	cust, product := e.recordPlacedAndDeclined(checkoutHistories)

	scarce := e.newProduct(1, 9900)
	short := e.checkout(cust, checkoutOf(cardVisa, line{ProductID: product, Quantity: 1}, line{ProductID: scarce, Quantity: 2}))
	wantOutcome(t, e.awaitSaga(short.ID), store.OrderCanceled, store.ReasonOutOfStock)
	e.saveHistory(checkoutHistories+"out_of_stock", workflows.CheckoutWorkflowID(short.ID))

	canceled := e.checkout(cust, checkoutOf(card3DS, line{ProductID: product, Quantity: 1}))
	e.awaitStep(canceled.ID, workflows.StepAwaitingPayment)
	e.cancelOrder(cust, canceled.ID)
	wantOutcome(t, e.awaitSaga(canceled.ID), store.OrderCanceled, store.ReasonCanceledByUser)
	e.saveHistory(checkoutHistories+"canceled", workflows.CheckoutWorkflowID(canceled.ID))

	e.record3DSCompleted(checkoutHistories, cust, product)

	abandoned := e.abandonedOrder(cust, product, 1)
	stranded := e.strandedOrder(cust, product, 1, cardVisa)
	res, sweepID := e.runSweep()
	if res != (workflows.SweepResult{Released: 1, Restarted: 1}) {
		t.Fatalf("sweep did %+v, want 1 released and 1 restarted (abandoned %s, stranded %s)", res, abandoned, stranded)
	}
	wantOutcome(t, e.awaitSaga(stranded), store.OrderPlaced, "")
	e.saveHistory(checkoutHistories+"sweep", sweepID)
	e.saveHistory(checkoutHistories+"terminated", workflows.CheckoutWorkflowID(abandoned))
	e.saveHistory(checkoutHistories+"restarted_by_sweep", workflows.CheckoutWorkflowID(stranded))

	hurried := newEnv(t, withPaymentTimeout(2*time.Second))
	hurriedCust := hurried.newCustomer()
	timedOut := hurried.checkout(hurriedCust, checkoutOf(card3DS, line{ProductID: hurried.newProduct(2, 800), Quantity: 1}))
	wantOutcome(t, hurried.awaitSaga(timedOut.ID), store.OrderCanceled, store.ReasonPaymentTimeout)
	hurried.saveHistory(checkoutHistories+"payment_timeout", workflows.CheckoutWorkflowID(timedOut.ID))
}

// recordPlacedAndDeclined records a placed and a declined saga under prefix, for a new
// customer and product it returns.
func (e *env) recordPlacedAndDeclined(prefix string) (account, int64) {
	e.t.Helper()
	cust := e.newCustomer()
	product := e.newProduct(20, 1500)
	placed := e.checkout(cust, checkoutOf(cardVisa, line{ProductID: product, Quantity: 2}))
	wantOutcome(e.t, e.awaitSaga(placed.ID), store.OrderPlaced, "")
	e.saveHistory(prefix+"placed", workflows.CheckoutWorkflowID(placed.ID))
	declined := e.checkout(cust, checkoutOf(cardDeclined, line{ProductID: product, Quantity: 1}))
	wantOutcome(e.t, e.awaitSaga(declined.ID), store.OrderCanceled, store.ReasonPaymentDeclined)
	e.saveHistory(prefix+"declined", workflows.CheckoutWorkflowID(declined.ID))
	return cust, product
}

// record3DSCompleted records a saga whose shopper passed 3-D Secure under prefix.
func (e *env) record3DSCompleted(prefix string, cust account, product int64) {
	e.t.Helper()
	secured := e.checkout(cust, checkoutOf(card3DS, line{ProductID: product, Quantity: 1}))
	e.awaitStep(secured.ID, workflows.StepAwaitingPayment)
	e.completePayment(cust, e.order(cust, secured.ID).intentID(), true)
	wantOutcome(e.t, e.awaitSaga(secured.ID), store.OrderPlaced, "")
	e.saveHistory(prefix+"3ds_completed", workflows.CheckoutWorkflowID(secured.ID))
}

// wantOutcome checks the saga took the path its history is recorded for. Recording checks no
// more than that: the other tests judge what the saga did.
func wantOutcome(t *testing.T, res workflows.CheckoutResult, status, reason string) {
	t.Helper()
	if res.Status != status || res.CancelReason != reason {
		t.Fatalf("saga ended %s (%s), want %s (%s): not the path to record", res.Status, res.CancelReason, status, reason)
	}
}

// saveHistory writes the closed workflow's full history, as protojson indented for review,
// to workflows/testdata/<name><historyGeneration>.json.
func (e *env) saveHistory(name, workflowID string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hist := &historypb.History{}
	it := e.temporal.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			e.t.Fatalf("history of %s: %v", workflowID, err)
		}
		hist.Events = append(hist.Events, ev)
	}
	if n := len(hist.Events); n == 0 || !closing(hist.Events[n-1].GetEventType()) {
		e.t.Fatalf("history of %s does not end with the workflow closing", workflowID)
	}
	if path, ok := writeHistory(e.t, name, hist); ok {
		e.t.Logf("recorded %s (%d events) to %s", workflowID, len(hist.Events), path)
	}
}

// writeHistory writes a history to workflows/testdata/<name><historyGeneration>.json, as
// protojson re-indented (protojson varies its whitespace from run to run) so that it reads
// well in review. It never writes over a recorded history, which stands for executions that
// may still be running: replaying it is what proves the current code can finish them. An
// existing file is kept and reported (ok false); record a changed shape under a new
// historyGeneration.
func writeHistory(t *testing.T, name string, hist *historypb.History) (path string, ok bool) {
	t.Helper()
	compact, err := protojson.Marshal(hist)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	path = filepath.Join(suite.root, "workflows", "testdata", name+historyGeneration+".json")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		t.Logf("kept %s: recorded already, histories are never re-recorded (record a new shape under a new name)", path)
		return path, false
	}
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write(out.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // a partial file would be replayed, and would block the next recording
		t.Fatalf("write %s: %v", path, err)
	}
	return path, true
}

func closing(t enums.EventType) bool {
	switch t {
	case enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enums.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
		enums.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, enums.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
		enums.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, enums.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		return true
	}
	return false
}
