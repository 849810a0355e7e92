package activities_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
	"shopflow/search"
	"shopflow/store"
	"shopflow/store/storetest"
)

// fakeCatalog serves documents of products 1..size (or of any id asked, by Documents) and
// records what it was asked.
type fakeCatalog struct {
	mu        sync.Mutex
	size      int64
	documents [][]int64 // ids asked of each Documents call
	chunks    []int64   // afterID of each Chunk call
	sales     [][2]time.Time
	refreshes int
	salesErr  error
}

func (c *fakeCatalog) Documents(_ context.Context, ids []int64) ([]search.Document, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.documents = append(c.documents, slices.Clone(ids))
	docs := make([]search.Document, len(ids))
	for i, id := range ids {
		docs[i] = search.Document{ID: id, Name: fmt.Sprint("product ", id)}
	}
	return docs, nil
}

func (c *fakeCatalog) Chunk(_ context.Context, afterID int64, limit int) ([]search.Document, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.chunks = append(c.chunks, afterID)
	var docs []search.Document
	for id := afterID + 1; id <= c.size && len(docs) < limit; id++ {
		docs = append(docs, search.Document{ID: id})
	}
	return docs, nil
}

func (c *fakeCatalog) Count(context.Context) (int64, error) { return c.size, nil }

func (c *fakeCatalog) RefreshTerms(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshes++
	return nil
}

func (c *fakeCatalog) UpdateSales(_ context.Context, from, to time.Time) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sales = append(c.sales, [2]time.Time{from, to})
	return 4, c.salesErr
}

// fakeIndex keeps document ids in memory: the live alias's writes in applied, each physical
// index's in loaded. It refuses the documents in refuse and fails every call with err.
type fakeIndex struct {
	mu      sync.Mutex
	refuse  map[int64]bool
	err     error
	applied [][]int64
	loaded  map[string][][]int64
	counts  map[string]int64
	live    []string
	swapped []string
	dropped []string
	onLoad  func() // called, unlocked, before each Load
}

func newFakeIndex() *fakeIndex {
	return &fakeIndex{refuse: map[int64]bool{}, loaded: map[string][][]int64{}, counts: map[string]int64{}}
}

func (x *fakeIndex) write(docs []search.Document) ([]int64, search.ApplyResult) {
	var ids []int64
	var r search.ApplyResult
	for _, d := range docs {
		ids = append(ids, d.ID)
		if x.refuse[d.ID] {
			r.Failed = append(r.Failed, d.ID)
		} else {
			r.Written++
		}
	}
	return ids, r
}

func (x *fakeIndex) Apply(_ context.Context, docs []search.Document) (search.ApplyResult, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.err != nil {
		return search.ApplyResult{}, x.err
	}
	ids, r := x.write(docs)
	x.applied = append(x.applied, ids)
	return r, nil
}

func (x *fakeIndex) CreateIndex(context.Context) (string, error) { return "products_v7", x.err }

func (x *fakeIndex) Load(_ context.Context, index string, docs []search.Document) (search.ApplyResult, error) {
	if x.onLoad != nil {
		x.onLoad()
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.err != nil {
		return search.ApplyResult{}, x.err
	}
	ids, r := x.write(docs)
	x.loaded[index] = append(x.loaded[index], ids)
	return r, nil
}

func (x *fakeIndex) Count(_ context.Context, index string) (int64, error) {
	return x.counts[index], x.err
}

func (x *fakeIndex) Swap(_ context.Context, index string) ([]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.err != nil {
		return nil, x.err
	}
	prev := x.live
	x.live = []string{index}
	x.swapped = append(x.swapped, index)
	return prev, nil
}

func (x *fakeIndex) Drop(_ context.Context, index string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if index == "broken" {
		return errors.New("drop broken: 500")
	}
	x.dropped = append(x.dropped, index)
	return nil
}

func (x *fakeIndex) Live(context.Context) ([]string, error) { return x.live, nil }

// searchFixture is a migrated database with a seller and a category to add products to.
type searchFixture struct {
	st       *store.Store
	seller   string
	category int64
}

func newSearchFixture(t *testing.T) searchFixture {
	t.Helper()
	f := searchFixture{st: store.New(storetest.NewPool(t))}
	f.seller = f.newSeller(t, "Lamp Shop")
	f.category = f.newCategory(t, "Lamps", nil)
	return f
}

func (f searchFixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := f.st.Pool.Exec(t.Context(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (f searchFixture) newSeller(t *testing.T, store string) string {
	t.Helper()
	var id string
	if err := f.st.Pool.QueryRow(t.Context(), `WITH u AS (INSERT INTO users (email, password_hash, role)
			VALUES (lower(replace($1, ' ', '')) || '@example.com', 'x', 'seller') RETURNING id)
		INSERT INTO sellers (user_id, store_name) SELECT id, $1 FROM u RETURNING id::text`, store).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f searchFixture) newCategory(t *testing.T, name string, parent *int64) int64 {
	t.Helper()
	var id int64
	slug := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
	if err := f.st.Pool.QueryRow(t.Context(), `INSERT INTO categories (name, slug, parent_id) VALUES ($1, $2, $3) RETURNING id`,
		name, slug, parent).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f searchFixture) newProduct(t *testing.T, seller string, category int64, name string, onHand int) int64 {
	t.Helper()
	p, err := f.st.CreateProduct(t.Context(), store.NewProduct{SellerID: seller, CategoryID: category, Name: name,
		PriceCents: 1999, Currency: "EUR", OnHand: onHand})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// pending counts the unapplied changes of each product.
func (f searchFixture) pending(t *testing.T) map[int64]int {
	t.Helper()
	rows, err := f.st.Pool.Query(t.Context(), `SELECT product_id, count(*) FROM search_changes
		WHERE applied_at IS NULL AND product_id IS NOT NULL GROUP BY product_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// count is a single count(*) query's answer.
func (f searchFixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.st.Pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// applyAll applies the queue with a; it must succeed.
func applyAll(t *testing.T, a *activities.Search) activities.ApplySearchChangesResult {
	t.Helper()
	r, err := a.ApplySearchChanges(t.Context(), activities.ApplySearchChangesInput{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Creating products queues their changes; one batch writes each changed product once, however
// often it changed, and marks every change applied, so the next batch has nothing to do.
func TestApplySearchChangesWritesEachChangedProductOnce(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	p1 := f.newProduct(t, f.seller, f.category, "Desk lamp", 3)
	p2 := f.newProduct(t, f.seller, f.category, "Floor lamp", 3)
	f.exec(t, `UPDATE products SET name = 'Brass desk lamp' WHERE id = $1`, p1)
	if got := f.pending(t); !reflect.DeepEqual(got, map[int64]int{p1: 2, p2: 1}) {
		t.Fatalf("pending changes %v, want 2 of %d and 1 of %d", got, p1, p2)
	}
	idx := newFakeIndex()
	a := &activities.Search{Store: f.st, Catalog: &fakeCatalog{}, Index: idx}
	if r := applyAll(t, a); r != (activities.ApplySearchChangesResult{Changes: 2, Products: 2}) {
		t.Errorf("result %+v, want the 3 changes of 2 products as 2", r)
	}
	if want := [][]int64{{p1, p2}}; !reflect.DeepEqual(idx.applied, want) {
		t.Errorf("index writes %v, want %v", idx.applied, want)
	}
	if n := f.count(t, `SELECT count(*) FROM search_changes WHERE applied_at IS NULL`); n != 0 {
		t.Errorf("%d changes still pending", n)
	}
	if n := f.count(t, `SELECT count(*) FROM search_changes WHERE applied_at IS NOT NULL`); n != 3 {
		t.Errorf("%d changes applied, want 3", n)
	}
	if r := applyAll(t, a); r != (activities.ApplySearchChangesResult{}) || len(idx.applied) != 1 {
		t.Errorf("second batch %+v wrote %v, want nothing", r, idx.applied)
	}
}

// The batch's limit counts changes, oldest first.
func TestApplySearchChangesTakesTheOldestChangesUpToTheLimit(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	p1 := f.newProduct(t, f.seller, f.category, "Desk lamp", 3)
	p2 := f.newProduct(t, f.seller, f.category, "Floor lamp", 3)
	p3 := f.newProduct(t, f.seller, f.category, "Wall lamp", 3)
	idx := newFakeIndex()
	a := &activities.Search{Store: f.st, Catalog: &fakeCatalog{}, Index: idx}
	r, err := a.ApplySearchChanges(t.Context(), activities.ApplySearchChangesInput{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Changes != 2 || !reflect.DeepEqual(idx.applied, [][]int64{{p1, p2}}) {
		t.Errorf("result %+v, writes %v; want the 2 oldest, %d and %d", r, idx.applied, p1, p2)
	}
	if got := f.pending(t); !reflect.DeepEqual(got, map[int64]int{p3: 1}) {
		t.Errorf("pending %v, want only %d", got, p3)
	}
}

// A product the index refused stays queued, with only its newest change (the older ones would
// write the same document), and is applied by the next batch; the others are marked applied.
func TestApplySearchChangesKeepsRefusedProductsQueued(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	p1 := f.newProduct(t, f.seller, f.category, "Desk lamp", 3)
	p2 := f.newProduct(t, f.seller, f.category, "Floor lamp", 3)
	f.exec(t, `UPDATE products SET price_cents = 2999 WHERE id = $1`, p2)
	idx := newFakeIndex()
	idx.refuse[p2] = true
	a := &activities.Search{Store: f.st, Catalog: &fakeCatalog{}, Index: idx}
	if r := applyAll(t, a); r != (activities.ApplySearchChangesResult{Changes: 2, Products: 2, Failed: 1, More: true}) {
		t.Errorf("result %+v, want 1 of 2 products refused, more to do", r)
	}
	if got := f.pending(t); !reflect.DeepEqual(got, map[int64]int{p2: 1}) {
		t.Fatalf("pending %v, want the newest change of the refused %d", got, p2)
	}
	delete(idx.refuse, p2)
	if r := applyAll(t, a); r != (activities.ApplySearchChangesResult{Changes: 1, Products: 1}) {
		t.Errorf("retry %+v, want the refused product once", r)
	}
	if want := [][]int64{{p1, p2}, {p2}}; !reflect.DeepEqual(idx.applied, want) {
		t.Errorf("index writes %v, want %v", idx.applied, want)
	}
	if got := f.pending(t); len(got) != 0 {
		t.Errorf("pending %v after the retry", got)
	}
}

// With Postgres answering searches there is no index: applying a change is marking it applied.
func TestApplySearchChangesWithoutAnIndexOnlyMarksApplied(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	f.newProduct(t, f.seller, f.category, "Desk lamp", 3)
	f.newProduct(t, f.seller, f.category, "Floor lamp", 3)
	cat := &fakeCatalog{}
	a := &activities.Search{Store: f.st, Catalog: cat}
	if r := applyAll(t, a); r != (activities.ApplySearchChangesResult{Changes: 2}) {
		t.Errorf("result %+v, want 2 changes and no products written", r)
	}
	if got := f.pending(t); len(got) != 0 {
		t.Errorf("pending %v, want every change applied", got)
	}
	if len(cat.documents) != 0 {
		t.Errorf("documents read %v, want none", cat.documents)
	}
}

// An index that fails leaves every change queued and fails the batch, to be retried.
func TestApplySearchChangesLeavesTheQueueWhenTheIndexFails(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	p1 := f.newProduct(t, f.seller, f.category, "Desk lamp", 3)
	p2 := f.newProduct(t, f.seller, f.category, "Floor lamp", 3)
	idx := newFakeIndex()
	idx.err = errors.New("elasticsearch: 503")
	a := &activities.Search{Store: f.st, Catalog: &fakeCatalog{}, Index: idx}
	if _, err := a.ApplySearchChanges(t.Context(), activities.ApplySearchChangesInput{Limit: 100}); !errors.Is(err, idx.err) {
		t.Fatalf("error %v, want the index's", err)
	}
	if got := f.pending(t); !reflect.DeepEqual(got, map[int64]int{p1: 1, p2: 1}) {
		t.Errorf("pending %v, want both changes kept", got)
	}
}

// Renaming a category queues one change that the next batch expands into a change of every
// product in the category's subtree, child categories included; other products are untouched.
func TestApplySearchChangesExpandsACategoryRename(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	child := f.newCategory(t, "Desk lamps", &f.category)
	grandchild := f.newCategory(t, "Reading lamps", &child)
	other := f.newCategory(t, "Rugs", nil)
	inRoot := f.newProduct(t, f.seller, f.category, "Floor lamp", 3)
	inChild := f.newProduct(t, f.seller, child, "Desk lamp", 3)
	inGrandchild := f.newProduct(t, f.seller, grandchild, "Clip lamp", 3)
	f.newProduct(t, f.seller, other, "Wool rug", 3)
	idx := newFakeIndex()
	a := &activities.Search{Store: f.st, Catalog: &fakeCatalog{}, Index: idx}
	applyAll(t, a)
	idx.applied = nil

	f.exec(t, `UPDATE categories SET name = 'Lighting' WHERE id = $1`, f.category)
	if n := f.count(t, `SELECT count(*) FROM search_changes WHERE applied_at IS NULL AND category_id = $1`, f.category); n != 1 {
		t.Fatalf("%d category changes queued, want 1", n)
	}
	r := applyAll(t, a)
	if r != (activities.ApplySearchChangesResult{Changes: 3, Products: 3, Expanded: 1}) {
		t.Errorf("result %+v, want 1 category change expanded to 3 products", r)
	}
	if want := [][]int64{{inRoot, inChild, inGrandchild}}; !reflect.DeepEqual(idx.applied, want) {
		t.Errorf("index writes %v, want %v", idx.applied, want)
	}
	if n := f.count(t, `SELECT count(*) FROM search_changes WHERE applied_at IS NULL`); n != 0 {
		t.Errorf("%d changes still pending, the category's included", n)
	}
	if n := f.count(t, `SELECT count(*) FROM search_changes WHERE reason = 'category'`); n != 4 {
		t.Errorf("%d category changes, want the rename and one per product of its subtree", n)
	}

	// Renaming to the same name changes nothing a shopper finds.
	f.exec(t, `UPDATE categories SET name = name WHERE id = $1`, other)
	if got := f.count(t, `SELECT count(*) FROM search_changes WHERE applied_at IS NULL`); got != 0 {
		t.Errorf("a rename to the same name queued %d changes", got)
	}
}

// Moving a category under another expands the same way.
func TestApplySearchChangesExpandsACategoryMove(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	rugs := f.newCategory(t, "Rugs", nil)
	lamp := f.newProduct(t, f.seller, f.category, "Floor lamp", 3)
	f.newProduct(t, f.seller, rugs, "Wool rug", 3)
	idx := newFakeIndex()
	a := &activities.Search{Store: f.st, Catalog: &fakeCatalog{}, Index: idx}
	applyAll(t, a)
	idx.applied = nil
	f.exec(t, `UPDATE categories SET parent_id = $1 WHERE id = $2`, rugs, f.category)
	if r := applyAll(t, a); r.Expanded != 1 || !reflect.DeepEqual(idx.applied, [][]int64{{lamp}}) {
		t.Errorf("result %+v, writes %v; want the moved category's product %d", r, idx.applied, lamp)
	}
}

// Renaming a store queues one change that expands to that seller's products only.
func TestApplySearchChangesExpandsASellerRename(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	other := f.newSeller(t, "Rug Shop")
	p1 := f.newProduct(t, f.seller, f.category, "Desk lamp", 3)
	f.newProduct(t, other, f.category, "Wool rug", 3)
	p3 := f.newProduct(t, f.seller, f.category, "Floor lamp", 3)
	idx := newFakeIndex()
	a := &activities.Search{Store: f.st, Catalog: &fakeCatalog{}, Index: idx}
	applyAll(t, a)
	idx.applied = nil
	f.exec(t, `UPDATE sellers SET store_name = 'Lamps & Light' WHERE id = $1`, f.seller)
	r := applyAll(t, a)
	if r != (activities.ApplySearchChangesResult{Changes: 2, Products: 2, Expanded: 1}) {
		t.Errorf("result %+v, want 1 seller change expanded to 2 products", r)
	}
	if want := [][]int64{{p1, p3}}; !reflect.DeepEqual(idx.applied, want) {
		t.Errorf("index writes %v, want %v", idx.applied, want)
	}
	if n := f.count(t, `SELECT count(*) FROM search_changes WHERE applied_at IS NULL`); n != 0 {
		t.Errorf("%d changes still pending", n)
	}
}

// Stock queues a change only when it crosses zero, in either direction; a sale that leaves
// stock does not.
func TestInventoryQueuesAChangeWhenStockCrossesZero(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	last := f.newProduct(t, f.seller, f.category, "Desk lamp", 1)
	plenty := f.newProduct(t, f.seller, f.category, "Floor lamp", 5)
	f.exec(t, `UPDATE search_changes SET applied_at = now()`)
	stock := func() map[int64]int {
		t.Helper()
		out := map[int64]int{}
		rows, err := f.st.Pool.Query(t.Context(), `SELECT product_id FROM search_changes WHERE reason = 'stock' AND applied_at IS NULL`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out[id]++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}

	f.exec(t, `UPDATE inventory SET reserved = on_hand WHERE product_id = $1`, last)
	f.exec(t, `UPDATE inventory SET reserved = 2 WHERE product_id = $1`, plenty)
	if got := stock(); !reflect.DeepEqual(got, map[int64]int{last: 1}) {
		t.Fatalf("stock changes %v, want one of the sold-out %d only", got, last)
	}
	f.exec(t, `UPDATE search_changes SET applied_at = now()`)
	f.exec(t, `UPDATE inventory SET on_hand = on_hand + 4 WHERE product_id = $1`, last)
	f.exec(t, `UPDATE inventory SET on_hand = on_hand + 4 WHERE product_id = $1`, plenty)
	if got := stock(); !reflect.DeepEqual(got, map[int64]int{last: 1}) {
		t.Errorf("stock changes %v after restocking, want one of the back-in-stock %d only", got, last)
	}
}

// Units sold written by the stats refresh queue a change of the product.
func TestProductSearchStatsQueueAChange(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	p := f.newProduct(t, f.seller, f.category, "Desk lamp", 1)
	f.exec(t, `UPDATE search_changes SET applied_at = now()`)
	f.exec(t, `INSERT INTO product_search_stats (product_id, units_sold) VALUES ($1, 3)`, p)
	f.exec(t, `UPDATE product_search_stats SET units_sold = 4 WHERE product_id = $1`, p)
	if n := f.count(t, `SELECT count(*) FROM search_changes WHERE reason = 'stats' AND product_id = $1 AND applied_at IS NULL`, p); n != 2 {
		t.Errorf("%d stats changes, want 2", n)
	}
}

// Without an index there is nothing to rebuild: BeginReindex refreshes the typo vocabulary and
// fails for good with NoSearchIndex.
func TestBeginReindexWithoutAnIndex(t *testing.T) {
	t.Parallel()
	cat := &fakeCatalog{size: 3}
	a := &activities.Search{Store: newSearchFixture(t).st, Catalog: cat}
	_, err := a.BeginReindex(t.Context(), activities.BeginReindexInput{})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeNoSearchIndex || !appErr.NonRetryable() {
		t.Fatalf("error %v, want a non-retryable %s", err, activities.ErrTypeNoSearchIndex)
	}
	if cat.refreshes != 1 {
		t.Errorf("%d vocabulary refreshes, want 1", cat.refreshes)
	}
}

// With an index, BeginReindex creates the new index and reads the horizon and the catalog size.
func TestBeginReindexCreatesTheIndex(t *testing.T) {
	t.Parallel()
	a := &activities.Search{Store: newSearchFixture(t).st, Catalog: &fakeCatalog{size: 42}, Index: newFakeIndex()}
	r, err := a.BeginReindex(t.Context(), activities.BeginReindexInput{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Index != "products_v7" || r.Horizon == 0 || r.Expected != 42 {
		t.Errorf("result %+v, want index products_v7, a horizon and 42 expected", r)
	}
}

// committedBefore waits until every transaction older than the latest change has ended, so the
// horizon it returns is past that change even while other tests' transactions run.
func committedBefore(t *testing.T, st *store.Store) uint64 {
	t.Helper()
	var xid uint64
	if err := st.Pool.QueryRow(t.Context(), `SELECT max(xid)::text::bigint FROM search_changes`).Scan(&xid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		h, err := st.SearchHorizon(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if h > xid {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("horizon %d still at or before change xid %d", h, xid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runActivity runs fn in env, the test activity environment its heartbeats need, and decodes
// its result into res.
func runActivity(t *testing.T, env *testsuite.TestActivityEnvironment, fn any, in any, res any) error {
	t.Helper()
	v, err := env.ExecuteActivity(fn, in)
	if err != nil {
		return err
	}
	if err := v.Get(res); err != nil {
		t.Fatal(err)
	}
	return nil
}

// newActivityEnv is a silent test activity environment running a's activities.
func newActivityEnv(a *activities.Search) *testsuite.TestActivityEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	return env
}

// ReplayChanges writes the products changed by transactions from the horizon on, as they are
// now, into the new index (or into the live alias when Index is empty), in chunks; changes
// committed before the horizon are not replayed.
func TestReplayChangesReplaysFromTheHorizon(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	before := f.newProduct(t, f.seller, f.category, "Desk lamp", 3)
	during := f.newProduct(t, f.seller, f.category, "Floor lamp", 3)
	f.exec(t, `UPDATE search_changes SET applied_at = now()`)
	horizon := committedBefore(t, f.st)

	f.exec(t, `UPDATE products SET price_cents = 999 WHERE id = $1`, during)
	created := f.newProduct(t, f.seller, f.category, "Wall lamp", 3)
	f.exec(t, `UPDATE products SET name = 'Tall floor lamp' WHERE id = $1`, during)
	var lastID int64
	if err := f.st.Pool.QueryRow(t.Context(), `SELECT max(id) FROM search_changes`).Scan(&lastID); err != nil {
		t.Fatal(err)
	}

	for _, index := range []string{"products_v7", ""} {
		t.Run(fmt.Sprintf("into %q", index), func(t *testing.T) {
			idx := newFakeIndex()
			cat := &fakeCatalog{}
			a := &activities.Search{Store: f.st, Catalog: cat, Index: idx}
			var r activities.ReplayChangesResult
			if err := runActivity(t, newActivityEnv(a), a.ReplayChanges,
				activities.ReplayChangesInput{Index: index, Horizon: horizon, Limit: 2}, &r); err != nil {
				t.Fatal(err)
			}
			// Three changes in chunks of two: {during, created}, then {during} again.
			want := [][]int64{{during, created}, {during}}
			got := idx.loaded[index]
			if index == "" {
				got = idx.applied
				if len(idx.loaded) != 0 {
					t.Errorf("loaded %v, want only applied to the alias", idx.loaded)
				}
			} else if len(idx.applied) != 0 {
				t.Errorf("applied %v to the alias, want only loaded into %s", idx.applied, index)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("written %v, want %v (never %d, changed before the horizon)", got, want, before)
			}
			if r != (activities.ReplayChangesResult{LastID: lastID, Products: 3}) {
				t.Errorf("result %+v, want last change %d and 3 products", r, lastID)
			}
		})
	}

	t.Run("after a replayed change", func(t *testing.T) {
		idx := newFakeIndex()
		a := &activities.Search{Store: f.st, Catalog: &fakeCatalog{}, Index: idx}
		var r activities.ReplayChangesResult
		if err := runActivity(t, newActivityEnv(a), a.ReplayChanges,
			activities.ReplayChangesInput{Index: "products_v7", Horizon: horizon, AfterID: lastID - 1, Limit: 10}, &r); err != nil {
			t.Fatal(err)
		}
		if want := [][]int64{{during}}; !reflect.DeepEqual(idx.loaded["products_v7"], want) || r.LastID != lastID {
			t.Errorf("loaded %v up to %d, want %v up to %d", idx.loaded["products_v7"], r.LastID, want, lastID)
		}
	})

	t.Run("nothing since", func(t *testing.T) {
		idx := newFakeIndex()
		a := &activities.Search{Store: f.st, Catalog: &fakeCatalog{}, Index: idx}
		var r activities.ReplayChangesResult
		if err := runActivity(t, newActivityEnv(a), a.ReplayChanges,
			activities.ReplayChangesInput{Index: "products_v7", Horizon: horizon, AfterID: lastID, Limit: 10}, &r); err != nil {
			t.Fatal(err)
		}
		if r != (activities.ReplayChangesResult{LastID: lastID}) || len(idx.loaded) != 0 {
			t.Errorf("result %+v, loaded %v; want nothing, last change kept", r, idx.loaded)
		}
	})

	t.Run("refused", func(t *testing.T) {
		idx := newFakeIndex()
		idx.refuse[created] = true
		a := &activities.Search{Store: f.st, Catalog: &fakeCatalog{}, Index: idx}
		var r activities.ReplayChangesResult
		err := runActivity(t, newActivityEnv(a), a.ReplayChanges,
			activities.ReplayChangesInput{Index: "products_v7", Horizon: horizon, Limit: 10}, &r)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprint("product ", created)) {
			t.Errorf("error %v, want the refusal of %d", err, created)
		}
	})
}

// LoadIndex copies the catalog in chunks by id, heartbeating its progress after each chunk
// (the environment throttles heartbeats, so only the first reaches the listener).
func TestLoadIndexLoadsTheCatalogInChunks(t *testing.T) {
	t.Parallel()
	idx := newFakeIndex()
	cat := &fakeCatalog{size: 7}
	a := &activities.Search{Catalog: cat, Index: idx}
	env := newActivityEnv(a)
	var mu sync.Mutex
	var beats []activities.LoadIndexProgress
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var p activities.LoadIndexProgress
		if err := details.Get(&p); err != nil {
			t.Error(err)
		}
		mu.Lock()
		beats = append(beats, p)
		mu.Unlock()
	})
	var r activities.LoadIndexResult
	if err := runActivity(t, env, a.LoadIndex, activities.LoadIndexInput{Index: "products_v7", ChunkSize: 3}, &r); err != nil {
		t.Fatal(err)
	}
	if r != (activities.LoadIndexResult{Loaded: 7, LastID: 7}) {
		t.Errorf("result %+v, want 7 loaded", r)
	}
	if want := [][]int64{{1, 2, 3}, {4, 5, 6}, {7}}; !reflect.DeepEqual(idx.loaded["products_v7"], want) {
		t.Errorf("loaded %v, want %v", idx.loaded["products_v7"], want)
	}
	if want := []int64{0, 3, 6, 7}; !reflect.DeepEqual(cat.chunks, want) {
		t.Errorf("chunks after %v, want %v", cat.chunks, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(beats) == 0 || beats[0] != (activities.LoadIndexProgress{LastID: 3, Loaded: 3}) {
		t.Errorf("heartbeats %+v, want the first after the first chunk", beats)
	}
}

// A retried load resumes after the last product its heartbeat recorded, counting on from there.
func TestLoadIndexResumesFromItsHeartbeat(t *testing.T) {
	t.Parallel()
	idx := newFakeIndex()
	cat := &fakeCatalog{size: 7}
	a := &activities.Search{Catalog: cat, Index: idx}
	env := newActivityEnv(a)
	env.SetHeartbeatDetails(activities.LoadIndexProgress{LastID: 4, Loaded: 4})
	var r activities.LoadIndexResult
	if err := runActivity(t, env, a.LoadIndex, activities.LoadIndexInput{Index: "products_v7", ChunkSize: 10}, &r); err != nil {
		t.Fatal(err)
	}
	if r != (activities.LoadIndexResult{Loaded: 7, LastID: 7}) {
		t.Errorf("result %+v, want 7 loaded in all", r)
	}
	if want := [][]int64{{5, 6, 7}}; !reflect.DeepEqual(idx.loaded["products_v7"], want) {
		t.Errorf("loaded %v, want only what follows product 4: %v", idx.loaded["products_v7"], want)
	}
}

// A document the index refuses fails the load: a new index missing products must not go live.
func TestLoadIndexFailsOnARefusedDocument(t *testing.T) {
	t.Parallel()
	idx := newFakeIndex()
	idx.refuse[5] = true
	a := &activities.Search{Catalog: &fakeCatalog{size: 7}, Index: idx}
	var r activities.LoadIndexResult
	err := runActivity(t, newActivityEnv(a), a.LoadIndex, activities.LoadIndexInput{Index: "products_v7", ChunkSize: 3}, &r)
	if err == nil || !strings.Contains(err.Error(), "product 5") {
		t.Fatalf("error %v, want the refusal of product 5", err)
	}
	if want := [][]int64{{1, 2, 3}, {4, 5, 6}}; !reflect.DeepEqual(idx.loaded["products_v7"], want) {
		t.Errorf("loaded %v, want the load stopped at the refused chunk", idx.loaded["products_v7"])
	}
}

// CountIndex, SwapIndex and DropIndexes hand their work to the index.
func TestReindexIndexOperationsPassThrough(t *testing.T) {
	t.Parallel()
	idx := newFakeIndex()
	idx.counts["products_v7"] = 40
	idx.live = []string{"products_v6"}
	a := &activities.Search{Catalog: &fakeCatalog{size: 41}, Index: idx}
	ctx := t.Context()

	c, err := a.CountIndex(ctx, activities.CountIndexInput{Index: "products_v7"})
	if err != nil || c != (activities.CountIndexResult{Indexed: 40, Catalog: 41}) {
		t.Errorf("CountIndex %+v (%v), want 40 indexed of 41", c, err)
	}
	s, err := a.SwapIndex(ctx, activities.SwapIndexInput{Index: "products_v7"})
	if err != nil || !reflect.DeepEqual(s.Previous, []string{"products_v6"}) || !reflect.DeepEqual(idx.swapped, []string{"products_v7"}) {
		t.Errorf("SwapIndex %+v (%v), swapped %v; want products_v7 live instead of products_v6", s, err, idx.swapped)
	}
	if _, err := a.DropIndexes(ctx, activities.DropIndexesInput{Indexes: []string{"products_v5", "products_v6"}}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"products_v5", "products_v6"}; !reflect.DeepEqual(idx.dropped, want) {
		t.Errorf("dropped %v, want %v", idx.dropped, want)
	}
	if _, err := a.DropIndexes(ctx, activities.DropIndexesInput{Indexes: []string{"broken", "products_v4"}}); err == nil {
		t.Error("a failed drop succeeded")
	}
	if slices.Contains(idx.dropped, "products_v4") {
		t.Error("dropping went on after a failure")
	}

	idx.err = errors.New("elasticsearch: 503")
	if _, err := a.CountIndex(ctx, activities.CountIndexInput{Index: "products_v7"}); !errors.Is(err, idx.err) {
		t.Errorf("CountIndex error %v, want the index's", err)
	}
	if _, err := a.SwapIndex(ctx, activities.SwapIndexInput{Index: "products_v8"}); !errors.Is(err, idx.err) {
		t.Errorf("SwapIndex error %v, want the index's", err)
	}
}

// The stats refresh sets units sold over the window, refreshes the vocabulary and forgets
// changes applied before To-KeepApplied, keeping newer and pending ones.
func TestRefreshSearchStatsForgetsOldAppliedChanges(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	to := time.Now().UTC().Truncate(time.Hour)
	from := to.Add(-24 * time.Hour)
	f.exec(t, `INSERT INTO search_changes (product_id, reason, created_at, applied_at) VALUES
		(1, 'old', $1::timestamptz - interval '50 hours', $1::timestamptz - interval '49 hours'),
		(2, 'old', $1::timestamptz - interval '50 hours', $1::timestamptz - interval '48 hours 1 minute'),
		(3, 'recent', $1::timestamptz - interval '50 hours', $1::timestamptz - interval '47 hours 59 minutes'),
		(4, 'pending', $1::timestamptz - interval '72 hours', NULL)`, to)
	cat := &fakeCatalog{}
	a := &activities.Search{Store: f.st, Catalog: cat, Index: newFakeIndex()}
	r, err := a.RefreshSearchStats(t.Context(), activities.RefreshSearchStatsInput{From: from, To: to, KeepApplied: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if r != (activities.RefreshSearchStatsResult{Changed: 4, Deleted: 2}) {
		t.Errorf("result %+v, want 4 changed and 2 deleted", r)
	}
	if want := [][2]time.Time{{from, to}}; !reflect.DeepEqual(cat.sales, want) {
		t.Errorf("sales updated over %v, want %v", cat.sales, want)
	}
	if cat.refreshes != 1 {
		t.Errorf("%d vocabulary refreshes, want 1", cat.refreshes)
	}
	var left []string
	rows, err := f.st.Pool.Query(t.Context(), `SELECT reason FROM search_changes ORDER BY product_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var reason string
		if err := rows.Scan(&reason); err != nil {
			t.Fatal(err)
		}
		left = append(left, reason)
	}
	if want := []string{"recent", "pending"}; !reflect.DeepEqual(left, want) {
		t.Errorf("changes left %v, want %v", left, want)
	}
}

// A failed sales update fails the refresh before anything is forgotten.
func TestRefreshSearchStatsStopsWhenSalesFail(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	f.exec(t, `INSERT INTO search_changes (product_id, reason, applied_at) VALUES (1, 'old', now() - interval '3 days')`)
	cat := &fakeCatalog{salesErr: errors.New("statement timeout")}
	a := &activities.Search{Store: f.st, Catalog: cat}
	if _, err := a.RefreshSearchStats(t.Context(), activities.RefreshSearchStatsInput{From: time.Now().Add(-time.Hour), To: time.Now(), KeepApplied: time.Hour}); !errors.Is(err, cat.salesErr) {
		t.Fatalf("error %v, want the sales update's", err)
	}
	if n := f.count(t, `SELECT count(*) FROM search_changes`); n != 1 || cat.refreshes != 0 {
		t.Errorf("%d changes left and %d refreshes, want the change kept and no refresh", n, cat.refreshes)
	}
}

// A product the index refuses again and again takes one place in a batch, however often it
// changed, so the products queued behind it still reach the index.
func TestApplySearchChangesARefusedProductDoesNotHoldUpTheQueue(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	bad := f.newProduct(t, f.seller, f.category, "Desk lamp", 3)
	for price := range 5 {
		f.exec(t, `UPDATE products SET price_cents = $2 WHERE id = $1`, bad, 1000+price)
	}
	good := f.newProduct(t, f.seller, f.category, "Floor lamp", 3)
	idx := newFakeIndex()
	idx.refuse[bad] = true
	a := &activities.Search{Store: f.st, Catalog: &fakeCatalog{}, Index: idx}
	for range 3 {
		if _, err := a.ApplySearchChanges(t.Context(), activities.ApplySearchChangesInput{Limit: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.pending(t); !reflect.DeepEqual(got, map[int64]int{bad: 1}) {
		t.Fatalf("pending %v, want only the newest change of the refused %d", got, bad)
	}
	written := false
	for _, batch := range idx.applied {
		written = written || slices.Contains(batch, good)
	}
	if !written {
		t.Fatalf("product %d queued behind the refused one never reached the index: %v", good, idx.applied)
	}
}

// A replay stops at the newest change queued when it started: changes keep coming while it
// writes, and it must end (the next replay, or the drain after the swap, takes them).
func TestReplayChangesStopsAtTheChangesQueuedWhenItStarted(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	horizon, err := f.st.SearchHorizon(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p := f.newProduct(t, f.seller, f.category, "Desk lamp", 3)
	idx := newFakeIndex()
	price := 1000
	idx.onLoad = func() { // every write brings a new change, as a busy shop does
		price++
		f.exec(t, `UPDATE products SET price_cents = $2 WHERE id = $1`, p, price)
	}
	a := &activities.Search{Store: f.st, Catalog: &fakeCatalog{}, Index: idx}
	var r activities.ReplayChangesResult
	if err := runActivity(t, newActivityEnv(a), a.ReplayChanges,
		activities.ReplayChangesInput{Index: "products_v2", Horizon: horizon, Limit: 1}, &r); err != nil {
		t.Fatal(err)
	}
	if r.Products != 1 || len(idx.loaded["products_v2"]) != 1 {
		t.Fatalf("replayed %+v in %d writes, want the one change queued before it started", r, len(idx.loaded["products_v2"]))
	}
}
