package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"shopflow/recommend"
	"shopflow/store"
	"shopflow/worker"
	"shopflow/workflows"
)

// Orders placed through the checkout and sales ingested from another shop both count: after
// the recommendations job runs on the real worker, each product's "also bought" list is in
// Redis, naming the product bought with it often enough, and Meta describes the run.
func TestRecommendationsJobPublishesAlsoBought(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), sagaDeadline)
	defer cancel()
	lamp, shade, rug := e.newProduct(100, 1999), e.newProduct(100, 599), e.newProduct(100, 4999)
	cust := e.newCustomer()
	for range 2 {
		o := e.checkout(cust, checkoutOf("pm_card_visa", line{ProductID: lamp, Quantity: 1}, line{ProductID: shade, Quantity: 2}))
		if r := e.awaitSaga(o.ID); r.Status != "placed" {
			t.Fatalf("checkout %s: %+v, want placed", o.ID, r)
		}
	}
	now := time.Now().UTC()
	var lines []store.SaleLine
	for i := range 2 {
		id := fmt.Sprintf("R-%d-%s", i, randHex(4))
		lines = append(lines,
			store.SaleLine{Source: "legacy", ExternalOrderID: id, LineNo: 1, OrderedAt: now, ProductID: lamp, Quantity: 1, UnitPriceCents: 1999, Currency: "USD"},
			store.SaleLine{Source: "legacy", ExternalOrderID: id, LineNo: 2, OrderedAt: now, ProductID: shade, Quantity: 1, UnitPriceCents: 599, Currency: "USD"})
	}
	// Bought with the lamp once only: under the minimum support.
	rugOrder := "R-rug-" + randHex(4)
	lines = append(lines, store.SaleLine{Source: "legacy", ExternalOrderID: rugOrder, LineNo: 1, OrderedAt: now, ProductID: rug, Quantity: 1, UnitPriceCents: 4999, Currency: "USD"},
		store.SaleLine{Source: "legacy", ExternalOrderID: rugOrder, LineNo: 2, OrderedAt: now, ProductID: lamp, Quantity: 1, UnitPriceCents: 1999, Currency: "USD"})
	if _, err := store.New(e.db).RecordSales(ctx, lines); err != nil {
		t.Fatal(err)
	}

	in := worker.RecommendationsInput(e.cfg)
	in.MinSupport = 3
	r := &workflows.Recommender{Client: e.temporal, TaskQueue: e.cfg.BatchTaskQueue, Input: in}
	id, err := r.TriggerRecommendations(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.RecommendationsResult
	if err := e.temporal.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatalf("recommendations run %s: %v", id, err)
	}
	if res.Lines < 10 || res.Written < 2 {
		t.Fatalf("run result %+v, want the 10+ lines counted and the lamp's and shade's lists written", res)
	}
	var list recommend.AlsoBought
	raw, err := e.redis.Get(ctx, recommend.AlsoBoughtKey(e.cfg.RedisPrefix, lamp)).Bytes()
	if err != nil || json.Unmarshal(raw, &list) != nil {
		t.Fatalf("lamp's list: %s %v", raw, err)
	}
	if len(list.Items) != 1 || list.Items[0].ProductID != shade || list.Items[0].Support != 4 || list.WindowDays != in.WindowDays {
		t.Fatalf("lamp's list %+v, want the shade, bought with it in 4 orders", list)
	}
	var meta recommend.Meta
	raw, err = e.redis.Get(ctx, recommend.MetaKey(e.cfg.RedisPrefix)).Bytes()
	if err != nil || json.Unmarshal(raw, &meta) != nil || meta.Products < 2 {
		t.Fatalf("meta: %s %v, want at least the lamp's and shade's lists", raw, err)
	}
	// And the storefront shows it: the shade first, as bought with the lamp.
	var recs struct {
		Items []struct {
			ProductID int64  `json:"product_id"`
			Reason    string `json:"reason"`
		} `json:"items"`
	}
	e.mustSend(request{method: "GET", path: fmt.Sprintf("/api/v1/products/%d/recommendations", lamp)}, &recs, http.StatusOK)
	if len(recs.Items) == 0 || recs.Items[0].ProductID != shade || recs.Items[0].Reason != "also_bought" {
		t.Fatalf("lamp's recommendations %+v, want the shade first, also bought", recs.Items)
	}
}
