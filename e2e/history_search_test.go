package e2e

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"shopflow/search/elasticsearch/estest"
	"shopflow/workflows"
)

// TestRecordSearchHistories records, for workflows/replay_test.go, the search workflows run
// against the fake Elasticsearch: the first ReindexSearch (no index to replace), a run of the
// IndexSearch push drain that applied a price change, a ReindexSearch that swapped the alias
// and dropped the index it replaced, and a RefreshSearchStats, the way TestRecordHistories
// does for the checkout:
//
//	go test ./e2e -run TestRecordSearchHistories -record-histories
func TestRecordSearchHistories(t *testing.T) {
	if !recording() {
		t.Skip("records histories only with -record-histories or SHOPFLOW_RECORD_HISTORIES=1")
	}
	es := estest.New(t)
	e := newESEnv(t, es)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	product := e.newProduct(5, 2500)
	e.newProduct(1, 1800)

	first, firstID := e.reindex(ctx, workflows.ReindexSearchInput{})
	if len(first.Previous) != 0 || first.Loaded != 2 {
		t.Fatalf("first reindex %+v: want 2 products loaded, no index replaced: not the path to record", first)
	}
	e.saveHistory("search_reindex_first", firstID)

	e.setPrice(e.catalog.seller, product, 3900)
	e.awaitDocument(es, product, "the new price", func(d esDoc) bool { return d.PriceCents == 3900 })
	pushID := workflows.IndexSearchPushWorkflowID(e.cfg.BatchTaskQueue)
	d, err := e.temporal.DescribeWorkflowExecution(ctx, pushID, "")
	if err != nil {
		t.Fatal(err)
	}
	pushRun := d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	var drained workflows.IndexSearchResult
	if err := e.temporal.GetWorkflow(ctx, pushID, pushRun).Get(ctx, &drained); err != nil || drained.Products == 0 {
		t.Fatalf("push drain %s: %+v %v, want products applied: not the path to record", pushID, drained, err)
	}
	e.saveRunHistory("search_index_push", pushID, pushRun)

	swapped, swapID := e.reindex(ctx, workflows.ReindexSearchInput{ChunkSize: 1})
	if len(swapped.Previous) != 1 || swapped.Previous[0] != first.Index {
		t.Fatalf("second reindex %+v: want %s replaced: not the path to record", swapped, first.Index)
	}
	e.saveHistory("search_reindex", swapID)

	statsID := "search-stats-" + randHex(4)
	run, err := e.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: statsID, TaskQueue: e.cfg.BatchTaskQueue},
		workflows.RefreshSearchStatsWorkflowName, workflows.RefreshSearchStatsInput{Window: e.cfg.TopSellersWindow})
	if err != nil {
		t.Fatal(err)
	}
	var refreshed workflows.RefreshSearchStatsResult
	if err := run.Get(ctx, &refreshed); err != nil {
		t.Fatalf("refresh search stats: %v", err)
	}
	e.saveHistory("search_refresh_stats", statsID)
}
