package e2e

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"shopflow/ingest"
	"shopflow/report"
	"shopflow/store"
	"shopflow/workflows"
)

// TestRecordReportHistories records, for workflows/replay_test.go, a DailyReport run triggered
// through the API, the SellerDigest it started (two sellers), the first run of a digest that
// continues as new (batches of one seller), and a DeliverOutbox run that delivered an order's
// notifications, the way TestRecordHistories does for the checkout:
//
//	go test ./e2e -run TestRecordReportHistories -record-histories
func TestRecordReportHistories(t *testing.T) {
	if !recording() {
		t.Skip("records histories only with -record-histories or SHOPFLOW_RECORD_HISTORIES=1")
	}
	rp := newReportsEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*reportDeadline)
	defer cancel()
	const date = "2025-03-12" // not TestReportsPublishTheDayAndDigestEachSellerOnce's day
	day, _ := report.ParseDate(date)

	shoes, books := rp.newSeller("Shoes "+randHex(3)), rp.newSeller("Books "+randHex(3))
	boots, novel := rp.product(shoes, "Boots "+randHex(3), 1250), rp.product(books, "Novel "+randHex(3), 2000)
	rp.ingestSales([]ingest.Order{
		posOrder("R-1", day.Add(10*time.Hour), ingest.Line{ProductID: boots.ID, Quantity: 2, UnitPriceCents: 1250, Currency: "USD"},
			ingest.Line{ProductID: novel.ID, Quantity: 1, UnitPriceCents: 2000, Currency: "USD"}),
	})

	run := rp.runReport(ctx, date)
	if run.result.Files != 6 {
		t.Fatalf("daily report %s: %+v, want 6 files: not the path to record", run.workflowID, run.result)
	}
	rp.saveRunHistory("daily_report", run.workflowID, run.runID)
	digestID, digestRun := rp.childOf(ctx, run.workflowID, run.runID)
	if res := rp.awaitDigest(ctx, run); res.Sellers != 2 || res.Sent != 2 {
		t.Fatalf("seller digest %s: %+v, want 2 sellers sent: not the path to record", digestID, res)
	}
	rp.saveRunHistory("seller_digest", digestID, digestRun)

	// One seller per run: the first run hands the cursor on with continue-as-new. The day's
	// digests were sent above, so this chain finds them all sent already.
	batched, err := rp.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "digest-batched-" + randHex(4), TaskQueue: rp.cfg.BatchTaskQueue},
		workflows.SellerDigestWorkflowName, workflows.SellerDigestInput{Period: date, BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	firstRun := batched.GetRunID() // Get follows the chain, and the run's id with it
	var chained workflows.SellerDigestResult
	if err := batched.Get(ctx, &chained); err != nil || chained.Runs != 3 || chained.Sellers != 2 || chained.Duplicates != 2 {
		t.Fatalf("batched digest: %+v %v, want 3 runs over 2 sellers, both duplicates", chained, err)
	}
	if last := rp.saveRunHistory("seller_digest_continued", batched.GetID(), firstRun); last != enums.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW {
		t.Fatalf("the first run of %s ended with %s, want continued as new", batched.GetID(), last)
	}

	cust := rp.newCustomer()
	placed := rp.checkout(cust, checkoutOf(cardVisa, line{ProductID: boots.ID, Quantity: 1}))
	if res := rp.awaitSaga(placed.ID); res.Status != store.OrderPlaced {
		t.Fatalf("order %s ended %s: not the path to record", placed.ID, res.Status)
	}
	res, outboxID := rp.drainOutbox(ctx)
	if res.Sent < 1 {
		t.Fatalf("outbox drain %s: %+v, want something delivered", outboxID, res)
	}
	rp.saveRunHistory("deliver_outbox", outboxID, "")
}

// saveRunHistory is saveHistory for one run of the workflow (runID "" is the latest), since the
// first run of a chain that continued as new is not the latest. It returns the closing event.
func (e *env) saveRunHistory(name, workflowID, runID string) enums.EventType {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hist := &historypb.History{}
	it := e.temporal.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			e.t.Fatalf("history of %s (run %s): %v", workflowID, runID, err)
		}
		hist.Events = append(hist.Events, ev)
	}
	if n := len(hist.Events); n == 0 || !closing(hist.Events[n-1].GetEventType()) {
		e.t.Fatalf("history of %s (run %s) does not end with the workflow closing", workflowID, runID)
	}
	if path, ok := writeHistory(e.t, name, hist); ok {
		e.t.Logf("recorded %s run %s (%d events) to %s", workflowID, runID, len(hist.Events), path)
	}
	return hist.Events[len(hist.Events)-1].GetEventType()
}
