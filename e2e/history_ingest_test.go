package e2e

import (
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"shopflow/workflows"
)

// TestRecordIngestHistories records an ingest batch and an inbox sweep into workflows/testdata,
// for workflows/replay_test.go, the way TestRecordHistories does for the checkout:
//
//	go test ./e2e -run TestRecordIngestHistories -record-histories
func TestRecordIngestHistories(t *testing.T) {
	if !recording() {
		t.Skip("records histories only with -record-histories or SHOPFLOW_RECORD_HISTORIES=1")
	}
	ie := newIngestEnv(t, 100, true)
	ctx, cancel := context.WithTimeout(context.Background(), ingestDeadline)
	defer cancel()

	file, _ := ie.orderFile(250, rand.Int64N(1<<40)) // three chunks of 100 lines
	code, id := ie.upload("day.csv", file)
	if code != http.StatusAccepted {
		t.Fatalf("upload: %d", code)
	}
	ie.awaitBatch(id)
	// The batch reads completed from inside the workflow's last activity: wait for the
	// workflow itself to close before saving its history.
	if err := ie.temporal.GetWorkflow(ctx, workflows.IngestWorkflowID(id), "").Get(ctx, nil); err != nil {
		t.Fatalf("ingest workflow of batch %s: %v", id, err)
	}
	ie.saveHistory("ingest_batch", workflows.IngestWorkflowID(id))

	if err := os.MkdirAll(ie.cfg.IngestInbox, 0o750); err != nil {
		t.Fatal(err)
	}
	dropped, _ := ie.orderFile(50, rand.Int64N(1<<40))
	p := filepath.Join(ie.cfg.IngestInbox, "dropped.csv")
	if err := os.WriteFile(p, dropped, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute) // older than the sweep's in-progress-copy guard
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	inboxID := "inbox-" + randHex(4)
	run, err := ie.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: inboxID, TaskQueue: ie.cfg.BatchTaskQueue},
		workflows.IngestInboxWorkflowName, workflows.IngestInboxInput{})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.IngestInboxResult
	if err := run.Get(ctx, &res); err != nil || res.Adopted != 1 {
		t.Fatalf("inbox sweep: %+v %v", res, err)
	}
	ie.saveHistory("ingest_inbox", inboxID)
}

// TestRecordTopSellersHistory records a TopSellers run triggered through the API.
//
//	go test ./e2e -run TestRecordTopSellersHistory -record-histories
func TestRecordTopSellersHistory(t *testing.T) {
	if !recording() {
		t.Skip("records histories only with -record-histories or SHOPFLOW_RECORD_HISTORIES=1")
	}
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), sagaDeadline)
	defer cancel()
	admin := e.newAdmin()
	var started struct {
		WorkflowID string `json:"workflow_id"`
	}
	e.mustSend(request{method: "POST", path: "/api/v1/admin/jobs/top-sellers", token: admin.Token}, &started, http.StatusAccepted)
	var res workflows.TopSellersResult
	if err := e.temporal.GetWorkflow(ctx, started.WorkflowID, "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	e.saveHistory("topsellers", started.WorkflowID)
}
