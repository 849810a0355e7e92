package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"shopflow/store"
	"shopflow/worker"
	"shopflow/workflows"
)

// rtInbox is a user's in-app notifications as the API lists them.
type rtInbox struct {
	Items []struct {
		Kind    string `json:"kind"`
		Subject string `json:"subject"`
		Body    string `json:"body"`
	} `json:"items"`
}

func (e *env) rtInbox(token string) rtInbox {
	e.t.Helper()
	var in rtInbox
	e.mustSend(request{method: "GET", path: "/api/v1/notifications", token: token}, &in, http.StatusOK)
	return in
}

func (in rtInbox) has(kind, text string) bool {
	for _, it := range in.Items {
		if it.Kind == kind && strings.Contains(it.Body, text) {
			return true
		}
	}
	return false
}

// A placed order's notification reaches the customer's inbox pushed by the worker's outbox
// listener: this env has no outbox Schedule at all (its worker is in-process and creates none),
// so nothing but the push can deliver it. Shipping the order is pushed the same way.
func TestOrderNotificationsArePushedInRealTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	push := &worker.OutboxPush{Pool: openPool(t, e.cfg.DatabaseURL), Client: e.temporal, TaskQueue: e.cfg.TaskQueue,
		Logger: slog.New(slog.DiscardHandler)}
	var wg sync.WaitGroup
	wg.Go(func() { push.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	cust := e.newCustomer()
	product := e.newProduct(5, 2500)
	placed := e.checkout(cust, checkoutOf(cardVisa, line{ProductID: product, Quantity: 1}))
	wantOutcome(t, e.awaitSaga(placed.ID), store.OrderPlaced, "")
	eventually(t, sagaDeadline, func() (bool, error) {
		return e.rtInbox(cust.Token).has("order_placed", placed.ID), nil
	}, func() string {
		return fmt.Sprintf("order_placed for %s in the inbox: %+v", placed.ID, e.rtInbox(cust.Token))
	})

	e.mustSend(request{method: "POST", path: "/api/v1/orders/" + placed.ID + "/ship", token: e.catalog.seller.Token}, nil, http.StatusOK)
	eventually(t, sagaDeadline, func() (bool, error) {
		return e.rtInbox(cust.Token).has("order_shipped", placed.ID), nil
	}, func() string {
		return fmt.Sprintf("order_shipped for %s in the inbox: %+v", placed.ID, e.rtInbox(cust.Token))
	})

	// The drain that delivered them is the push workflow of this task queue.
	d, err := e.temporal.DescribeWorkflowExecution(context.Background(), workflows.DeliverOutboxPushWorkflowID(e.cfg.TaskQueue), "")
	if err != nil || d.WorkflowExecutionInfo.GetType().GetName() != workflows.DeliverOutboxWorkflowName {
		t.Fatalf("push drain workflow: %v %v", d, err)
	}
	if recording() {
		pushID := workflows.DeliverOutboxPushWorkflowID(e.cfg.TaskQueue)
		if err := e.temporal.GetWorkflow(context.Background(), pushID, "").Get(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		e.saveHistory("deliver_outbox_push", pushID)
	}
}

// After two hourly rankings, the sellers whose overall rank moved by the threshold get a
// rank-change digest from the child workflow the ranking started; run again, the ranking
// starts no second message.
func TestRankChangeDigestAfterHourlyRanking(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*sagaDeadline)
	defer cancel()

	first := e.newProduct(100, 1000) // sold by e.catalog.seller
	otherEmail := "s-" + randHex(6) + "@example.com"
	e.mustSend(request{method: "POST", path: "/api/v1/auth/register", body: map[string]string{
		"email": otherEmail, "password": "a-long-password-1", "role": "seller", "store_name": "Other " + randHex(4)}}, nil, http.StatusCreated)
	other := e.login(otherEmail, "a-long-password-1")
	var p struct {
		ID int64 `json:"id"`
	}
	e.mustSend(request{method: "POST", path: "/api/v1/products", token: other.Token, body: map[string]any{
		"category_id": e.catalog.category, "name": "Other product", "price_cents": 1000, "currency": "USD",
		"status": "active", "on_hand": 100}}, &p, http.StatusCreated)

	// Hour A: the catalog seller leads; hour B: the other seller does.
	hourB := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
	hourA := hourB.Add(-time.Hour)
	if _, err := store.New(e.db).RecordSales(ctx, []store.SaleLine{
		{Source: "legacy", ExternalOrderID: "A-1", LineNo: 1, OrderedAt: hourA.Add(10 * time.Minute), ProductID: first, Quantity: 9, UnitPriceCents: 1000, Currency: "USD"},
		{Source: "legacy", ExternalOrderID: "A-2", LineNo: 1, OrderedAt: hourA.Add(20 * time.Minute), ProductID: p.ID, Quantity: 1, UnitPriceCents: 1000, Currency: "USD"},
		{Source: "legacy", ExternalOrderID: "B-1", LineNo: 1, OrderedAt: hourB.Add(10 * time.Minute), ProductID: first, Quantity: 1, UnitPriceCents: 1000, Currency: "USD"},
		{Source: "legacy", ExternalOrderID: "B-2", LineNo: 1, OrderedAt: hourB.Add(20 * time.Minute), ProductID: p.ID, Quantity: 9, UnitPriceCents: 1000, Currency: "USD"},
	}); err != nil {
		t.Fatal(err)
	}
	var lastRanking string
	rank := func(end time.Time) workflows.TopSellersResult {
		t.Helper()
		lastRanking = "topsellers-" + randHex(6)
		run, err := e.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: lastRanking, TaskQueue: e.cfg.BatchTaskQueue}, workflows.TopSellersWorkflowName,
			workflows.TopSellersInput{Window: time.Hour, At: end, RankChangeThreshold: 1})
		if err != nil {
			t.Fatal(err)
		}
		var res workflows.TopSellersResult
		if err := run.Get(ctx, &res); err != nil {
			t.Fatalf("ranking to %s: %v", end, err)
		}
		return res
	}
	if res := rank(hourA.Add(time.Hour)); res.RankChanges != 0 || res.Sellers != 2 {
		t.Fatalf("first ranking %+v: want 2 sellers ranked, no alerts (baselines only)", res)
	}
	endB := hourB.Add(time.Hour)
	if res := rank(endB); res.RankChanges != 2 {
		t.Fatalf("second ranking %+v: want both sellers alerted", res)
	}
	var digest workflows.SellerDigestResult
	id := workflows.RankChangeDigestWorkflowID(workflows.FormatRankPeriod(endB))
	if err := e.temporal.GetWorkflow(ctx, id, "").Get(ctx, &digest); err != nil {
		t.Fatalf("rank-change digest %s: %v", id, err)
	}
	if digest.Sellers != 2 || digest.Sent != 2 {
		t.Errorf("digest %+v, want 2 sellers told in-app", digest)
	}
	if in := e.rtInbox(e.catalog.seller.Token); len(in.Items) != 1 || !in.has("seller_rank_change", "now #2 of 2 sellers (down from #1)") {
		t.Errorf("catalog seller's inbox: %+v", in)
	}
	if in := e.rtInbox(other.Token); len(in.Items) != 1 || !in.has("seller_rank_change", "now #1 of 2 sellers (up from #2)") {
		t.Errorf("other seller's inbox: %+v", in)
	}
	if recording() {
		e.saveHistory("topsellers_rank_change", lastRanking)
		e.saveHistory("seller_digest_rank_change", id)
	}

	// The same hour ranked again: the alerts stand, the digest (rerun) sends nothing new.
	if res := rank(endB); res.RankChanges != 2 {
		t.Fatalf("repeated ranking %+v", res)
	}
	if err := e.temporal.GetWorkflow(ctx, id, "").Get(ctx, &digest); err != nil {
		t.Fatal(err)
	}
	if in := e.rtInbox(other.Token); len(in.Items) != 1 {
		t.Errorf("after the repeated ranking the other seller has %d messages, want 1", len(in.Items))
	}
}
