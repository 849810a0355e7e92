package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"shopflow/config"
	"shopflow/search/elasticsearch/estest"
	"shopflow/store"
	"shopflow/worker"
	"shopflow/workflows"
)

// After the first reindex (started through the admin API, as an operator does), a price change
// and a sell-out reach the Elasticsearch document within 5 s, delivered by the search push:
// this deployment has no Schedules (its worker is in-process and creates none), so nothing but
// the push drains the change queue. Searches are answered by Elasticsearch and show both.
func TestSearchElasticsearchKeptFreshByThePush(t *testing.T) {
	t.Parallel()
	es := estest.New(t)
	e := newESEnv(t, es)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	repriced, scarce, other := e.newProduct(5, 2500), e.newProduct(1, 1800), e.newProduct(5, 1500)

	// The reindex the API starts has one workflow ID per task queue (workflows.ReindexSearchWorkflowID).
	admin := e.newAdmin()
	var started struct {
		WorkflowID string `json:"workflow_id"`
		RunID      string `json:"run_id"`
	}
	e.mustSend(request{method: "POST", path: "/api/v1/admin/jobs/search-reindex", token: admin.Token}, &started, http.StatusAccepted)
	if want := workflows.ReindexSearchWorkflowID(e.cfg.BatchTaskQueue); started.WorkflowID != want {
		t.Fatalf("reindex workflow %q, want %q", started.WorkflowID, want)
	}
	var res workflows.ReindexSearchResult
	if err := e.temporal.GetWorkflow(ctx, started.WorkflowID, started.RunID).Get(ctx, &res); err != nil {
		t.Fatalf("reindex %s: %v", started.WorkflowID, err)
	}
	alias := e.searchAlias()
	if got := es.AliasIndexes(alias); !slices.Equal(got, []string{res.Index}) || res.Loaded != 3 {
		t.Fatalf("after the reindex %+v the alias %s points at %v, want [%s] holding 3 products", res, alias, got, res.Index)
	}
	if d, ok := esDocument(es, alias, repriced); !ok || d.PriceCents != 2500 || !d.InStock {
		t.Fatalf("product %d in the index: %+v (found %t), want 2500 in stock", repriced, d, ok)
	}
	inCategory := url.Values{"category_id": {fmt.Sprint(e.catalog.category)}}
	if p := e.mustSearch(inCategory); p.Backend != config.SearchElasticsearch || p.ids() != fmt.Sprint([]int64{other, scarce, repriced}) {
		t.Fatalf("search after the reindex: %+v, want the three products newest first, from elasticsearch", p)
	}

	e.setPrice(e.catalog.seller, repriced, 7000)
	e.awaitDocument(es, repriced, "the new price", func(d esDoc) bool { return d.PriceCents == 7000 })

	o := e.checkout(e.newCustomer(), checkoutOf(cardVisa, line{ProductID: scarce, Quantity: 1}))
	wantOutcome(t, e.awaitSaga(o.ID), store.OrderPlaced, "")
	e.awaitDocument(es, scarce, "the sell-out", func(d esDoc) bool { return !d.InStock })

	var p searchPage
	eventually(t, freshness, func() (bool, error) { // the answer cache keeps its default TTL here
		p = e.mustSearch(url.Values{"category_id": {fmt.Sprint(e.catalog.category)}, "min_price": {"6000"}})
		return p.ids() == fmt.Sprint([]int64{repriced}), nil
	}, func() string {
		return fmt.Sprintf("a search from 60.00 to find only product %d, it finds %+v", repriced, p)
	})
	if p.Backend != config.SearchElasticsearch {
		t.Errorf("the search by the new price was answered by %s, want elasticsearch", p.Backend)
	}
	eventually(t, freshness, func() (bool, error) {
		p = e.mustSearch(inCategory)
		return p.ids() == fmt.Sprint([]int64{other, repriced, scarce}) && !p.Items[2].InStock, nil
	}, func() string {
		return fmt.Sprintf("the sold-out product %d to sink to the end, the search lists %+v", scarce, p.Items)
	})
	if p.Backend != config.SearchElasticsearch {
		t.Errorf("the search after the sell-out was answered by %s, want elasticsearch", p.Backend)
	}

	// The drain that applied them is this task queue's push workflow.
	pushID := workflows.IndexSearchPushWorkflowID(e.cfg.BatchTaskQueue)
	d, err := e.temporal.DescribeWorkflowExecution(ctx, pushID, "")
	if err != nil || d.WorkflowExecutionInfo.GetType().GetName() != workflows.IndexSearchWorkflowName {
		t.Fatalf("push drain workflow %s: %v %v", pushID, d, err)
	}
}

// A reindex of a generated catalog (chunks of 10, so the load takes a while) runs under a steady
// search load (cache off), and prices change from the moment the load starts (three rounds over
// 20 products spread across the chunks): no search fails or falls back, the alias ends on the
// new index alone (the old one dropped), the new index holds the whole catalog, and every
// product changed during the reindex has its final price in it.
func TestSearchReindexUnderLoad(t *testing.T) {
	t.Parallel()
	es := estest.New(t)
	e := newESEnv(t, es, withConfig(func(c *config.Config) { c.SearchCacheTTL = 0 }))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cat := e.generateCatalog(ctx, 500)
	first, _ := e.reindex(ctx, workflows.ReindexSearchInput{})
	admin := e.newAdmin()
	changing := e.int64s(`SELECT id FROM products WHERE id % 25 = 0 ORDER BY id`) // spread over the load's chunks
	if len(changing) < 10 {
		t.Fatalf("only %d products to change", len(changing))
	}

	load := startSearchLoad(e, 4, cat.Queries(40))
	// Each request to the cluster takes 10 ms, so the load's 50 chunks take over half a second.
	es.Delay(10 * time.Millisecond)
	id := "search-reindex-load-" + randHex(4)
	run, err := e.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: e.cfg.BatchTaskQueue},
		workflows.ReindexSearchWorkflowName, workflows.ReindexSearchInput{ChunkSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	// Prices change while the load runs, and go on changing through the replays and the swap.
	e.awaitActivity(ctx, id, "LoadIndex")
	changes := startPriceChanges(e, admin, changing, 3)
	var res workflows.ReindexSearchResult
	err = run.Get(ctx, &res)
	made := changes.wait(t)
	es.Delay(0)
	stats := load.stop()
	if err != nil {
		t.Fatalf("reindex %s: %v", id, err)
	}
	t.Logf("reindex %+v; %d price changes; searches %+v", res, len(made.at), stats)

	if stats.requests == 0 || len(stats.failures) > 0 || stats.backends[config.SearchElasticsearch] != stats.requests {
		t.Errorf("searches during the reindex: %d sent, answered by %v, failures (%d): %v",
			stats.requests, stats.backends, len(stats.failures), head(stats.failures, 5))
	}
	alias := e.searchAlias()
	if got := es.AliasIndexes(alias); res.Index == first.Index || !slices.Equal(got, []string{res.Index}) {
		t.Errorf("alias %s points at %v, want only the new index %s (the old was %s)", alias, got, res.Index, first.Index)
	}
	if got := es.Indexes(); !slices.Equal(got, []string{res.Index}) || !slices.Equal(res.Previous, []string{first.Index}) {
		t.Errorf("the cluster holds %v after the reindex left %v, want only %s (%s dropped)", got, res.Previous, res.Index, first.Index)
	}
	if n, want := countDocuments(t, es, res.Index), int64(e.count(`SELECT count(*) FROM products`)); n != want {
		t.Errorf("the new index holds %d documents, the catalog %d products", n, want)
	}
	during := made.during(e.activityWindow(ctx, id, "LoadIndex"))
	if during == 0 {
		t.Errorf("no price change committed while LoadIndex ran: the test proves nothing about changes during the load")
	}
	t.Logf("%d of the price changes committed while LoadIndex ran", during)

	// Changes before the last replay are in the new index when the reindex ends; later ones
	// reach it through the push.
	var wrong []string
	eventually(t, freshness, func() (bool, error) {
		wrong = wrong[:0]
		for product, price := range made.final {
			if d, ok := esDocument(es, alias, product); !ok || d.PriceCents != price {
				wrong = append(wrong, fmt.Sprintf("%d: %d (found %t), want %d", product, d.PriceCents, ok, price))
			}
		}
		return len(wrong) == 0, nil
	}, func() string {
		return fmt.Sprintf("every changed product at its final price in %s; wrong: %v", alias, wrong)
	})
}

// Elasticsearch failing mid-load (every request answered 503): every search still answers 200,
// from Postgres, and shopflow_search_fallbacks_total counts them; changes made meanwhile stay
// queued in search_changes while the drain's activity retries; once the cluster answers again
// they are applied and nothing is lost: every product's document matches the database, and
// searches go back to Elasticsearch.
func TestSearchFallsBackToPostgresWhileElasticsearchIsDown(t *testing.T) {
	t.Parallel()
	es := estest.New(t)
	e := newESEnv(t, es, withConfig(func(c *config.Config) { c.SearchCacheTTL = 0 }))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	products := []int64{e.newProduct(5, 2500), e.newProduct(5, 2600), e.newProduct(5, 2700), e.newProduct(5, 2800)}
	e.reindex(ctx, workflows.ReindexSearchInput{})
	inCategory := url.Values{"category_id": {fmt.Sprint(e.catalog.category)}}
	if p := e.mustSearch(inCategory); p.Backend != config.SearchElasticsearch || len(p.Items) != len(products) {
		t.Fatalf("search before the outage: %+v, want the %d products from elasticsearch", p, len(products))
	}
	before := e.fallbacks()

	// Enough failures to outlast the outage (it takes about 50 requests: each failing search or
	// bulk is tried 4 times, and the breaker stops the searches after 3); the test drains what
	// is left to end it.
	es.FailNext(1000, http.StatusServiceUnavailable, "cluster_block_exception", "the cluster is down for the test")
	down := time.Now()
	for i := range 20 {
		q := inCategory
		if i%2 == 1 {
			q = url.Values{"q": {"product"}}
		}
		_, p, err := e.search(q)
		if err != nil {
			t.Fatalf("search %d during the outage: %v", i, err)
		}
		if p.Backend != config.SearchPostgres || len(p.Items) != len(products) {
			t.Fatalf("search %d during the outage: %+v, want the %d products from postgres", i, p, len(products))
		}
	}
	t.Logf("20 searches during the outage took %s", time.Since(down).Round(time.Millisecond))
	if after := e.fallbacks(); after < before+20 {
		t.Errorf("shopflow_search_fallbacks_total went from %v to %v over 20 searches Postgres answered", before, after)
	}

	e.setPrice(e.catalog.seller, products[0], 9100)
	e.setPrice(e.catalog.seller, products[1], 9200)
	o := e.checkout(e.newCustomer(), checkoutOf(cardVisa, line{ProductID: products[2], Quantity: 5}))
	wantOutcome(t, e.awaitSaga(o.ID), store.OrderPlaced, "")
	e.awaitDrainFailure(ctx)
	if n := e.count(`SELECT count(*) FROM search_changes WHERE applied_at IS NULL AND product_id = ANY($1)`, products[:3]); n < 3 {
		t.Errorf("%d changes of the 3 changed products are queued while the cluster is down, want them all", n)
	}
	if d, _ := esDocument(es, e.searchAlias(), products[0]); d.PriceCents != 2500 {
		t.Errorf("product %d reached the index at %d while it was down", products[0], d.PriceCents)
	}
	// Postgres, answering meanwhile, already knows.
	if p := e.mustSearch(url.Values{"min_price": {"9000"}}); p.Backend != config.SearchPostgres || p.ids() != fmt.Sprint([]int64{products[1], products[0]}) {
		t.Errorf("search from 90.00 during the outage: %+v, want the two repriced products from postgres", p)
	}

	drainFaults(t, es)
	back := time.Now()
	var pending int
	eventually(t, 30*time.Second, func() (bool, error) {
		pending = e.count(`SELECT count(*) FROM search_changes WHERE applied_at IS NULL`)
		return pending == 0, nil
	}, func() string { return fmt.Sprintf("the queue to drain after the outage (%d changes pending)", pending) })
	t.Logf("the queued changes were applied %s after the cluster came back", time.Since(back).Round(time.Millisecond))
	e.wantIndexMatchesCatalog(es)
	var p searchPage
	eventually(t, 20*time.Second, func() (bool, error) { // the breaker tries the cluster again after 5 s
		p = e.mustSearch(inCategory)
		return p.Backend == config.SearchElasticsearch, nil
	}, func() string {
		return fmt.Sprintf("searches to go back to elasticsearch (last answered by %s)", p.Backend)
	})
	t.Logf("searches went back to elasticsearch %s after the cluster came back", time.Since(back).Round(time.Millisecond))
}

// newESEnv is a deployment whose searches the fake cluster es answers (Postgres standing in when
// it fails), with the search push running as `shopflow worker` runs it.
func newESEnv(t *testing.T, es *estest.Server, opts ...envOption) *env {
	t.Helper()
	opts = append([]envOption{withConfig(func(c *config.Config) {
		c.SearchBackend = config.SearchElasticsearch
		c.ElasticsearchURLs = []string{es.URL()}
	})}, opts...)
	e := newEnv(t, opts...)
	e.startSearchPush()
	return e
}

// startSearchPush runs worker.SearchPush, with a process's own connections, until the test
// ends, and waits until it listens: a change committed before that would not be pushed.
func (e *env) startSearchPush() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	push := worker.SearchPush(e.openApp().WorkerDeps())
	var wg sync.WaitGroup
	wg.Go(func() { push.Run(ctx) })
	e.t.Cleanup(func() { cancel(); wg.Wait() })
	eventually(e.t, 10*time.Second, func() (bool, error) {
		return e.count(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'||$1||'%'`,
			store.SearchChannel) > 0, nil
	}, func() string { return "the search push to listen on " + store.SearchChannel })
}

// searchAlias is the live alias searches read and changes are applied to.
func (e *env) searchAlias() string { return e.cfg.ElasticsearchIndexPrefix + "products" }

// reindex runs a ReindexSearch to its end and returns its workflow ID and result. It has an ID
// of its own, since it takes input (a chunk size) the API's does not.
func (e *env) reindex(ctx context.Context, in workflows.ReindexSearchInput) (workflows.ReindexSearchResult, string) {
	e.t.Helper()
	id := "search-reindex-" + randHex(4)
	run, err := e.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: e.cfg.BatchTaskQueue},
		workflows.ReindexSearchWorkflowName, in)
	if err != nil {
		e.t.Fatal(err)
	}
	var res workflows.ReindexSearchResult
	if err := run.Get(ctx, &res); err != nil {
		e.t.Fatalf("reindex %s: %v", id, err)
	}
	return res, id
}

// esDoc is the part of an indexed product the tests read.
type esDoc struct {
	PriceCents int64 `json:"price_cents"`
	InStock    bool  `json:"in_stock"`
}

// esDocument reads a product's document from the cluster's state (not through its API, so
// injected faults do not touch it).
func esDocument(es *estest.Server, alias string, product int64) (esDoc, bool) {
	src, _, ok := es.Doc(alias, strconv.FormatInt(product, 10))
	var d esDoc
	if ok && json.Unmarshal(src, &d) != nil {
		return d, false
	}
	return d, ok
}

// awaitDocument waits up to freshness for the product's document in the live alias to show
// what, and logs how long it took.
func (e *env) awaitDocument(es *estest.Server, product int64, what string, ok func(esDoc) bool) {
	e.t.Helper()
	began := time.Now()
	var d esDoc
	var found bool
	eventually(e.t, freshness, func() (bool, error) {
		d, found = esDocument(es, e.searchAlias(), product)
		return found && ok(d), nil
	}, func() string {
		return fmt.Sprintf("%s of product %d to reach the index (it holds %+v, found %t)", what, product, d, found)
	})
	e.t.Logf("%s of product %d reached the index after %s", what, product, time.Since(began).Round(time.Millisecond))
}

// wantIndexMatchesCatalog checks every product's document in the live alias has the price and
// stock the database has.
func (e *env) wantIndexMatchesCatalog(es *estest.Server) {
	e.t.Helper()
	rows, err := e.db.Query(context.Background(), `SELECT p.id, p.price_cents, coalesce(i.on_hand - i.reserved > 0, false)
		FROM products p LEFT JOIN inventory i ON i.product_id = p.id ORDER BY p.id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, price int64
		var inStock bool
		if err := rows.Scan(&id, &price, &inStock); err != nil {
			e.t.Fatal(err)
		}
		if d, ok := esDocument(es, e.searchAlias(), id); !ok || d != (esDoc{PriceCents: price, InStock: inStock}) {
			e.t.Errorf("product %d is indexed as %+v (found %t), the database has price %d, in stock %t", id, d, ok, price, inStock)
		}
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
}

// awaitDrainFailure waits until the push drain's activity has failed against the cluster at
// least once and waits to retry.
func (e *env) awaitDrainFailure(ctx context.Context) {
	e.t.Helper()
	id := workflows.IndexSearchPushWorkflowID(e.cfg.BatchTaskQueue)
	var last string
	eventually(e.t, 20*time.Second, func() (bool, error) {
		d, err := e.temporal.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			last = err.Error() // not started yet
			return false, nil
		}
		last = fmt.Sprintf("status %s, pending %v", d.GetWorkflowExecutionInfo().GetStatus(), d.GetPendingActivities())
		for _, a := range d.GetPendingActivities() {
			if a.GetActivityType().GetName() == "ApplySearchChanges" && a.GetLastFailure() != nil {
				return true, nil
			}
		}
		return false, nil
	}, func() string { return fmt.Sprintf("the push drain %s to fail against the cluster (%s)", id, last) })
}

// drainFaults ends the outage: it sends requests of its own until the cluster answers again,
// using up the injected failures (estest has no way to cancel them).
func drainFaults(t *testing.T, es *estest.Server) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := c.Get(es.URL() + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body) //nolint:errcheck // only the status matters
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fake cluster still fails after %s of draining its faults", 30*time.Second)
		}
	}
}

// countDocuments asks the cluster, through its API, how many documents index holds.
func countDocuments(t *testing.T, es *estest.Server, index string) int64 {
	t.Helper()
	res, err := http.Get(es.URL() + "/" + index + "/_count")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Count int64 `json:"count"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("count %s: status %d, %v", index, res.StatusCode, err)
	}
	return body.Count
}

// awaitActivity waits until the workflow's activity of the type is running.
func (e *env) awaitActivity(ctx context.Context, workflowID, activityType string) {
	e.t.Helper()
	var pending []string
	eventually(e.t, 20*time.Second, func() (bool, error) {
		d, err := e.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
		if err != nil {
			return false, err
		}
		pending = pending[:0]
		for _, a := range d.GetPendingActivities() {
			pending = append(pending, a.GetActivityType().GetName()+" "+a.GetState().String())
			if a.GetActivityType().GetName() == activityType && a.GetState() == enums.PENDING_ACTIVITY_STATE_STARTED {
				return true, nil
			}
		}
		return false, nil
	}, func() string { return fmt.Sprintf("%s of %s to run (pending: %v)", activityType, workflowID, pending) })
}

// activityWindow is when the workflow's (first) activity of the type started and closed, from
// its history.
func (e *env) activityWindow(ctx context.Context, workflowID, activityType string) (from, to time.Time) {
	e.t.Helper()
	var scheduled, started int64
	it := e.temporal.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			e.t.Fatalf("history of %s: %v", workflowID, err)
		}
		switch {
		case scheduled == 0 && ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == activityType:
			scheduled = ev.GetEventId()
		case scheduled != 0 && started == 0 && ev.GetActivityTaskStartedEventAttributes().GetScheduledEventId() == scheduled:
			started, from = ev.GetEventId(), ev.GetEventTime().AsTime()
		case started != 0 && ev.GetActivityTaskCompletedEventAttributes().GetStartedEventId() == started:
			return from, ev.GetEventTime().AsTime()
		}
	}
	e.t.Fatalf("no completed %s activity in the history of %s", activityType, workflowID)
	return
}
