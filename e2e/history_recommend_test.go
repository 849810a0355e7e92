package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"shopflow/store"
	"shopflow/worker"
	"shopflow/workflows"
)

// TestRecordRecommendationsHistory records, for workflows/replay_test.go, a Recommendations run
// that counted new sales and republished every list (All), the way TestRecordHistories does
// for the checkout:
//
//	go test ./e2e -run TestRecordRecommendationsHistory -record-histories
func TestRecordRecommendationsHistory(t *testing.T) {
	if !recording() {
		t.Skip("records histories only with -record-histories or SHOPFLOW_RECORD_HISTORIES=1")
	}
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), sagaDeadline)
	defer cancel()
	kettle, teapot := e.newProduct(50, 3500), e.newProduct(50, 1500)
	now := time.Now().UTC()
	var lines []store.SaleLine
	for i := range 3 {
		id := fmt.Sprintf("H-%d-%s", i, randHex(4))
		lines = append(lines,
			store.SaleLine{Source: "legacy", ExternalOrderID: id, LineNo: 1, OrderedAt: now, ProductID: kettle, Quantity: 1, UnitPriceCents: 3500, Currency: "USD"},
			store.SaleLine{Source: "legacy", ExternalOrderID: id, LineNo: 2, OrderedAt: now, ProductID: teapot, Quantity: 1, UnitPriceCents: 1500, Currency: "USD"})
	}
	if _, err := store.New(e.db).RecordSales(ctx, lines); err != nil {
		t.Fatal(err)
	}
	in := worker.RecommendationsInput(e.cfg)
	in.MinSupport = 3
	r := &workflows.Recommender{Client: e.temporal, TaskQueue: e.cfg.BatchTaskQueue, Input: in}
	id, err := r.TriggerRecommendations(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.RecommendationsResult
	if err := e.temporal.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatalf("recommendations run %s: %v", id, err)
	}
	if !res.All || res.Lines < int64(len(lines)) || res.Written < 2 {
		t.Fatalf("run %s: %+v, want a full run that counted the %d lines and wrote the kettle's and teapot's lists: not the path to record",
			id, res, len(lines))
	}
	e.saveHistory("recommendations_all", id)
}
