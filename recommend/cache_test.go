package recommend

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"shopflow/errs"
	"shopflow/ranking"
	"shopflow/store"
)

// fakeCatalog is Postgres as the cache sees it, counting the reads it serves.
type fakeCatalog struct {
	mu          sync.Mutex
	cards       map[int64]store.ProductCard
	unavailable []int64
	roots       []int64
	interests   map[string]store.CustomerInterests
	err         error
	cardReads   int
	availReads  int
}

func (f *fakeCatalog) ProductCards(_ context.Context, ids []int64) ([]store.ProductCard, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cardReads++
	if f.err != nil {
		return nil, f.err
	}
	var out []store.ProductCard
	for _, id := range ids {
		if c, ok := f.cards[id]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeCatalog) UnavailableProductIDs(context.Context) ([]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.availReads++
	if f.err != nil {
		return nil, f.err
	}
	return append([]int64(nil), f.unavailable...), nil
}

func (f *fakeCatalog) RootCategoryIDs(context.Context) ([]int64, error) { return f.roots, nil }

func (f *fakeCatalog) CustomerInterests(_ context.Context, id string) (store.CustomerInterests, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.interests[id], f.err
}

func (f *fakeCatalog) set(fn func(*fakeCatalog)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// fakeLists is Redis's published lists.
type fakeLists struct {
	mu    sync.Mutex
	lists map[int64]AlsoBought
	err   error
	reads int
}

func (f *fakeLists) AlsoBought(_ context.Context, id int64) (AlsoBought, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.err != nil {
		return AlsoBought{}, false, f.err
	}
	l, ok := f.lists[id]
	return l, ok, nil
}

func (f *fakeLists) AlsoBoughtOf(_ context.Context, ids []int64) ([]AlsoBought, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	var out []AlsoBought
	for _, id := range ids {
		if l, ok := f.lists[id]; ok {
			out = append(out, l)
		}
	}
	return out, f.err
}

type fakeTop map[int64][]ranking.Product

func (f fakeTop) TopSellers(_ context.Context, id int64) ([]ranking.Product, error) {
	return f[id], nil
}

// clock is a settable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testShop: products 1..9 in category 10 (a root) except 7..9 in category 20 (another root);
// product 1's list is 3 then 2; category 10's top sellers are 2, 1, 4, 5; category 20's 8, 7.
type testShop struct {
	catalog *fakeCatalog
	lists   *fakeLists
	clock   *clock
	cache   *Cache
}

const (
	testTTL       = 30 * time.Second
	testFreshness = 5 * time.Second
)

func newTestShop(t *testing.T) *testShop {
	t.Helper()
	cards := map[int64]store.ProductCard{}
	for id := int64(1); id <= 9; id++ {
		cat := int64(10)
		if id >= 7 {
			cat = 20
		}
		cards[id] = store.ProductCard{ID: id, Name: "P", CategoryID: cat, SellerID: "s", StoreName: "S",
			PriceCents: 100 * id, Currency: "EUR", Status: store.ProductActive}
	}
	s := &testShop{
		catalog: &fakeCatalog{cards: cards, roots: []int64{10, 20}, interests: map[string]store.CustomerInterests{}},
		lists: &fakeLists{lists: map[int64]AlsoBought{
			1: {ProductID: 1, Items: []Item{{ProductID: 3, Score: 0.9, Support: 5}, {ProductID: 2, Score: 0.4, Support: 3}}},
			8: {ProductID: 8, Items: []Item{{ProductID: 9, Score: 0.7, Support: 4}, {ProductID: 1, Score: 0.2, Support: 3}}},
		}},
		clock: &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)},
	}
	top := fakeTop{10: {{ProductID: 2, Units: 50}, {ProductID: 1, Units: 40}, {ProductID: 4, Units: 30}, {ProductID: 5, Units: 20}},
		20: {{ProductID: 8, Units: 45}, {ProductID: 7, Units: 10}}}
	s.cache = NewCache(Deps{Lists: s.lists, Catalog: s.catalog, TopSellers: top, TTL: testTTL, Freshness: testFreshness})
	s.cache.now = s.clock.Now
	return s
}

type servedItem struct {
	ProductID int64    `json:"product_id"`
	Reason    Reason   `json:"reason"`
	Score     *float64 `json:"score"`
}

func served(t *testing.T, v *Variant) []servedItem {
	t.Helper()
	var body struct {
		Items []servedItem `json:"items"`
	}
	if err := json.Unmarshal(v.Body(), &body); err != nil {
		t.Fatalf("body %s: %v", v.Body(), err)
	}
	return body.Items
}

func ids(items []servedItem) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ProductID
	}
	return out
}

func TestProductListThenCategoryTopSellersThenPopular(t *testing.T) {
	s := newTestShop(t)
	v, err := s.cache.Product(context.Background(), 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	items := served(t, v)
	// 3, 2 from the list; 4, 5 from category 10 (2 already in, 1 is the product itself); 8, 7
	// popular (merged by units: 2 50, 8 45, 1 40, 4 30, 5 20, 7 10).
	if got, want := ids(items), []int64{3, 2, 4, 5, 8, 7}; !reflect.DeepEqual(got, want) {
		t.Fatalf("served %v, want %v", got, want)
	}
	reasons := []Reason{AlsoBoughtReason, AlsoBoughtReason, CategoryTopSeller, CategoryTopSeller, Popular, Popular}
	for i, it := range items {
		if it.Reason != reasons[i] || (it.Score != nil) != (reasons[i] == AlsoBoughtReason) {
			t.Errorf("item %d: %+v, want reason %s, a score only for also_bought", i, it, reasons[i])
		}
	}
	v2, err := s.cache.Product(context.Background(), 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(served(t, v2)); !reflect.DeepEqual(got, []int64{3, 2, 4}) || v2.ETag[0] == v.ETag[0] {
		t.Errorf("limit 3: %v, ETag %s (limit 10's %s)", got, v2.ETag[0], v.ETag[0])
	}
}

func TestProductWithoutListIsTopSellers(t *testing.T) {
	s := newTestShop(t)
	v, err := s.cache.Product(context.Background(), 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(served(t, v)); !reflect.DeepEqual(got, []int64{2, 1, 5}) {
		t.Errorf("served %v, want category 10's top sellers but product 4 itself", got)
	}
}

func TestUnknownAndInactiveProductsAreNotFoundAndRemembered(t *testing.T) {
	s := newTestShop(t)
	s.catalog.set(func(f *fakeCatalog) {
		c := f.cards[6]
		c.Status = store.ProductArchived
		f.cards[6] = c
	})
	for _, id := range []int64{6, 99, 99} {
		if _, err := s.cache.Product(context.Background(), id, 10); !errs.Is(err, errs.NotFound) {
			t.Errorf("product %d: %v, want not found", id, err)
		}
	}
	if s.catalog.cardReads != 2 {
		t.Errorf("%d card reads for products 6, 99, 99; want 2 (the second 99 cached)", s.catalog.cardReads)
	}
}

func TestAnswersAreKeptForTheTTL(t *testing.T) {
	s := newTestShop(t)
	ctx := context.Background()
	for range 3 {
		if _, err := s.cache.Product(ctx, 1, 10); err != nil {
			t.Fatal(err)
		}
	}
	if s.lists.reads != 1 {
		t.Fatalf("%d list reads in the TTL, want 1", s.lists.reads)
	}
	s.clock.Add(testTTL)
	if _, err := s.cache.Product(ctx, 1, 10); err != nil {
		t.Fatal(err)
	}
	if s.lists.reads != 2 {
		t.Errorf("%d list reads after the TTL, want 2", s.lists.reads)
	}
}

func TestUnavailableProductsLeaveWithinTheFreshness(t *testing.T) {
	s := newTestShop(t)
	ctx := context.Background()
	before, err := s.cache.Product(ctx, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	s.catalog.set(func(f *fakeCatalog) { f.unavailable = []int64{3} }) // archived or sold out now
	s.clock.Add(testFreshness - time.Nanosecond)
	if v, _ := s.cache.Product(ctx, 1, 2); v != before {
		t.Errorf("within the freshness the view is not reread: %v", ids(served(t, v)))
	}
	s.clock.Add(time.Nanosecond)
	after, err := s.cache.Product(ctx, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(served(t, after)); !reflect.DeepEqual(got, []int64{2, 4}) || after.ETag[0] == before.ETag[0] {
		t.Errorf("after the freshness: %v with ETag %s, want [2 4] and a new ETag", got, after.ETag[0])
	}
	if s.lists.reads != 1 || s.catalog.availReads != 2 {
		t.Errorf("%d list reads, %d availability reads; want 1 and 2 (the answer is refiltered, not refilled)",
			s.lists.reads, s.catalog.availReads)
	}
	s.catalog.set(func(f *fakeCatalog) { f.unavailable = nil }) // restocked
	s.clock.Add(testFreshness)
	back, _ := s.cache.Product(ctx, 1, 2)
	if back.ETag[0] != before.ETag[0] {
		t.Errorf("restocked: %v, want the first answer again", ids(served(t, back)))
	}
}

func TestCustomerExcludesPurchasesAndUsesWishlist(t *testing.T) {
	s := newTestShop(t)
	now := s.clock.Now()
	s.catalog.interests["c1"] = store.CustomerInterests{
		Purchased:  []store.Interest{{ProductID: 1, CategoryID: 10, At: now.Add(-time.Hour)}, {ProductID: 2, CategoryID: 10, At: now.Add(-400 * 24 * time.Hour)}},
		Wishlisted: []store.Interest{{ProductID: 8, CategoryID: 20, At: now}},
	}
	v, err := s.cache.Customer(context.Background(), "c1", 10)
	if err != nil {
		t.Fatal(err)
	}
	items := served(t, v)
	// Lists of 1 (3: 0.9; 2 bought) and 8 (9: 0.7; 1 bought): 3, 9; then category 10 (most
	// shopped: 4, 5), category 20 (8, 7); popular adds nothing new. 1 and 2 never appear.
	if got, want := ids(items), []int64{3, 9, 4, 5, 8, 7}; !reflect.DeepEqual(got, want) {
		t.Fatalf("served %v, want %v", got, want)
	}
	if items[0].Reason != AlsoBoughtReason || items[1].Reason != AlsoBoughtReason || items[2].Reason != CategoryTopSeller {
		t.Errorf("reasons %+v", items)
	}
}

func TestCustomerWithNothingGetsPopular(t *testing.T) {
	s := newTestShop(t)
	v, err := s.cache.Customer(context.Background(), "new", 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(served(t, v)); !reflect.DeepEqual(got, []int64{2, 8, 1}) {
		t.Errorf("served %v, want the shop's top sellers by units", got)
	}
}

func TestRedisDownServesTopSellersBriefly(t *testing.T) {
	s := newTestShop(t)
	s.lists.err = errors.New("connection refused")
	v, err := s.cache.Product(context.Background(), 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(served(t, v)); !reflect.DeepEqual(got, []int64{2, 4}) {
		t.Errorf("served %v, want category top sellers", got)
	}
	s.lists.err = nil
	s.clock.Add(testFreshness)
	v, _ = s.cache.Product(context.Background(), 1, 2)
	if got := ids(served(t, v)); !reflect.DeepEqual(got, []int64{3, 2}) {
		t.Errorf("after Redis is back and the freshness passed: %v, want the list", got)
	}
}

func TestStaleAnswerWhenPostgresFails(t *testing.T) {
	s := newTestShop(t)
	ctx := context.Background()
	first, err := s.cache.Product(ctx, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	s.catalog.set(func(f *fakeCatalog) { f.err = errors.New("postgres down") })
	s.clock.Add(testTTL)
	v, err := s.cache.Product(ctx, 1, 2)
	if err != nil || v.ETag[0] != first.ETag[0] {
		t.Errorf("Postgres down: %v, want the stale answer", err)
	}
	if _, err := s.cache.Product(ctx, 2, 2); !errs.Is(err, errs.Unavailable) {
		t.Errorf("nothing cached and Postgres down: %v, want unavailable", err)
	}
}

func TestConcurrentReadsShareOneFill(t *testing.T) {
	s := newTestShop(t)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if _, err := s.cache.Product(context.Background(), 1, 5); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if s.lists.reads > 2 {
		t.Errorf("%d list reads for 32 concurrent requests", s.lists.reads)
	}
}
