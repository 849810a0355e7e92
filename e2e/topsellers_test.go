package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"shopflow/ranking"
	"shopflow/store"
	"shopflow/workflows"
)

// An admin runs the top-sellers job through the API; the real worker computes the ranking in
// Postgres and publishes it to Redis, and the API serves it: the category's top seller and the
// seller's rank. Then the job's Schedule is backfilled for an hour two days ago: that run ranks
// the window ending at its scheduled hour (read from TemporalScheduledStartTime, as the real
// server sets it) and, being older, leaves the current ranking in place.
func TestTopSellersJobPublishesWhatTheAPIServes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), sagaDeadline)
	defer cancel()
	rdb := e.redis

	product := e.newProduct(100, 1999)
	seller, category := e.catalog.seller, e.catalog.category
	hour := time.Now().UTC().Truncate(time.Hour)
	if _, err := store.New(e.db).RecordSales(ctx, []store.SaleLine{
		{Source: "legacy", ExternalOrderID: "L-1", LineNo: 1, OrderedAt: hour.Add(-3 * time.Hour), ProductID: product, Quantity: 7, UnitPriceCents: 1999, Currency: "USD"},
		// Two days ago: outside today's window, inside the backfilled one.
		{Source: "legacy", ExternalOrderID: "L-2", LineNo: 1, OrderedAt: hour.Add(-50 * time.Hour), ProductID: product, Quantity: 2, UnitPriceCents: 1999, Currency: "USD"},
	}); err != nil {
		t.Fatal(err)
	}
	admin := e.newAdmin()

	var started struct {
		WorkflowID string `json:"workflow_id"`
	}
	e.mustSend(request{method: "POST", path: "/api/v1/admin/jobs/top-sellers", token: admin.Token}, &started, http.StatusAccepted)
	runHour, err := time.Parse("topsellers-2006-01-02T15", started.WorkflowID)
	if err != nil || (!runHour.Equal(hour) && !runHour.Equal(hour.Add(time.Hour))) {
		t.Fatalf("workflow id %q (%v), want topsellers-%s", started.WorkflowID, err, hour.Format("2006-01-02T15"))
	}
	var res workflows.TopSellersResult
	if err := e.temporal.GetWorkflow(ctx, started.WorkflowID, "").Get(ctx, &res); err != nil {
		t.Fatalf("top sellers run %s: %v", started.WorkflowID, err)
	}
	want := ranking.Window{From: runHour.Add(-24 * time.Hour), To: runHour}
	if res.Window != want || !res.Current || res.Categories < 1 || res.Sellers != 1 {
		t.Fatalf("run result %+v, want window %+v published", res, want)
	}

	var top struct {
		Products []ranking.Product `json:"products"`
	}
	path := fmt.Sprintf("/api/v1/categories/%d/top-sellers", category)
	code, body, header := e.tsGet(path, "", "")
	if code != http.StatusOK || header.Get("X-Top-Sellers-Source") != "redis" || json.Unmarshal(body, &top) != nil {
		t.Fatalf("GET %s: %d from %q: %s", path, code, header.Get("X-Top-Sellers-Source"), body)
	}
	if len(top.Products) != 1 || top.Products[0].ProductID != product || top.Products[0].Units != 7 || top.Products[0].RevenueCents != 7*1999 {
		t.Errorf("top sellers %+v, want product %d with 7 units", top.Products, product)
	}
	code, _, _ = e.tsGet(path, "", header.Get("ETag"))
	if code != http.StatusNotModified {
		t.Errorf("GET %s with its ETag: %d, want 304", path, code)
	}
	var rank ranking.SellerDocument
	code, body, _ = e.tsGet("/api/v1/sellers/me/rank", seller.Token, "")
	if code != http.StatusOK || json.Unmarshal(body, &rank) != nil || rank.Overall.Rank == nil || *rank.Overall.Rank != 1 || rank.Overall.Of != 1 {
		t.Errorf("GET /sellers/me/rank: %d %s, want rank 1 of 1", code, body)
	}

	// The Schedule, as worker.EnsureSchedules makes it but under a name of this test's own
	// (Schedule ids are per namespace), paused: only the backfill runs it.
	id := "topsellers-" + randHex(4)
	handle, err := e.temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:     id,
		Spec:   client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour, Offset: time.Minute}}},
		Action: &client.ScheduleWorkflowAction{ID: id, Workflow: workflows.TopSellersWorkflowName, TaskQueue: e.cfg.BatchTaskQueue, Args: []any{workflows.TopSellersInput{Window: 24 * time.Hour}}},
		Paused: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = handle.Delete(context.Background()) })
	past := hour.Add(-48 * time.Hour)
	if err := handle.Backfill(ctx, client.ScheduleBackfillOptions{Backfill: []client.ScheduleBackfill{
		{Start: past, End: past.Add(30 * time.Minute), Overlap: enums.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL},
	}}); err != nil {
		t.Fatal(err)
	}
	var backfilled string
	eventually(t, 30*time.Second, func() (bool, error) {
		d, err := handle.Describe(ctx)
		if err != nil {
			return false, err
		}
		for _, a := range d.Info.RecentActions {
			if a.StartWorkflowResult != nil {
				backfilled = a.StartWorkflowResult.WorkflowID
			}
		}
		return backfilled != "", nil
	}, func() string { return "the backfilled run of schedule " + id })
	var late workflows.TopSellersResult
	if err := e.temporal.GetWorkflow(ctx, backfilled, "").Get(ctx, &late); err != nil {
		t.Fatalf("backfilled run %s: %v", backfilled, err)
	}
	if want := (ranking.Window{From: past.Add(-24 * time.Hour), To: past}); late.Window != want || late.Current {
		t.Errorf("backfilled run %+v, want window %+v, not made current", late, want)
	}
	code, body, _ = e.tsGet(path, "", "")
	if code != http.StatusOK || json.Unmarshal(body, &top) != nil || len(top.Products) != 1 || top.Products[0].Units != 7 {
		t.Errorf("after the backfill: %d %s, want today's ranking still", code, body)
	}
	gen, err := ranking.Reader{Redis: rdb, Prefix: e.cfg.RedisPrefix}.Generation(ctx)
	if err != nil || gen != res.Generation {
		t.Errorf("current generation %s (%v), want today's %s", gen, err, res.Generation)
	}
}

// Helpers here are prefixed ts, to stay clear of other test files' names.

// tsGet makes a GET, with a token and an If-None-Match when they are not empty.
func (e *env) tsGet(path, token, ifNoneMatch string) (int, []byte, http.Header) {
	e.t.Helper()
	hr, err := http.NewRequest("GET", e.api.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	if ifNoneMatch != "" {
		hr.Header.Set("If-None-Match", ifNoneMatch)
	}
	res, err := e.http.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var body json.RawMessage
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body, res.Header
}
