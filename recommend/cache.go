package recommend

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"shopflow/errs"
	"shopflow/ranking"
	"shopflow/store"
)

// Recommendations are read far more often than they change, so the cache keeps each product's
// and each customer's answer prepared for serving: its candidates encoded once, in order. A
// request then costs a map lookup and a check against the availability view, which is
// reloaded from Postgres at most once per freshness period, so a product archived or sold out
// stops being recommended within that period, whatever the TTL of the answers.

const (
	// MaxServed is the largest ?limit= an answer is served with.
	MaxServed = 50
	// DefaultFreshness is how long the view of unavailable products is trusted by default.
	DefaultFreshness = 5 * time.Second
	// maxCandidates bounds the candidates an answer holds: several times MaxServed, so a full
	// page survives many of them becoming unavailable before the answer is refilled.
	maxCandidates = 4 * MaxServed
	// cacheMaxEntries bounds the products and, separately, the customers held (a few tens of
	// KB each at most).
	cacheMaxEntries = 8192
	// listTimeout bounds a Redis read, so a hung Redis falls back to top sellers quickly.
	listTimeout = 250 * time.Millisecond
	// fillTimeout bounds one fill, shared by every request waiting for it.
	fillTimeout = 10 * time.Second
)

// Catalog is what serving needs of Postgres (*store.Store).
type Catalog interface {
	ProductCards(ctx context.Context, ids []int64) ([]store.ProductCard, error)
	UnavailableProductIDs(ctx context.Context) ([]int64, error)
	RootCategoryIDs(ctx context.Context) ([]int64, error)
	CustomerInterests(ctx context.Context, customerID string) (store.CustomerInterests, error)
}

// Lists reads published "also bought" lists (Reader).
type Lists interface {
	AlsoBought(ctx context.Context, productID int64) (AlsoBought, bool, error)
	AlsoBoughtOf(ctx context.Context, ids []int64) ([]AlsoBought, error)
}

// TopSellers gives a category's top-selling products, best first (RankingTopSellers).
type TopSellers interface {
	TopSellers(ctx context.Context, categoryID int64) ([]ranking.Product, error)
}

// Deps is what a Cache reads from.
type Deps struct {
	// Lists is nil without Redis: every answer is then made of top sellers.
	Lists      Lists
	Catalog    Catalog
	TopSellers TopSellers
	// TTL is how long an answer is kept (SHOPFLOW_RECS_CACHE_TTL); zero refills it on every
	// request.
	TTL time.Duration
	// Freshness is how long the view of unavailable products is trusted; DefaultFreshness
	// when zero.
	Freshness time.Duration
	Logger    *slog.Logger
}

// Cache serves recommendations from prepared answers. It is safe for concurrent use.
type Cache struct {
	lists     Lists
	catalog   Catalog
	top       TopSellers
	ttl       time.Duration
	freshness time.Duration
	logger    *slog.Logger
	now       func() time.Time
	// public and private are the Cache-Control values of product and customer answers,
	// prepared once: a client or CDN may reuse an answer as long as this process would.
	public, private []string

	products  entries[int64]
	customers entries[string]
	avail     atomic.Pointer[availability]
	popular   atomic.Pointer[popularProducts]
	fills     singleflight.Group
}

// NewCache builds a cache over d.
func NewCache(d Deps) *Cache {
	c := &Cache{lists: d.Lists, catalog: d.Catalog, top: d.TopSellers, ttl: d.TTL, freshness: d.Freshness,
		logger: d.Logger, now: time.Now,
		products:  entries[int64]{m: map[int64]*entry{}, max: cacheMaxEntries},
		customers: entries[string]{m: map[string]*entry{}, max: cacheMaxEntries}}
	c.ttl = max(c.ttl, 0)
	if c.freshness <= 0 {
		c.freshness = DefaultFreshness
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	age := strconv.FormatInt(int64(max(c.freshness/time.Second, 1)), 10)
	c.public, c.private = []string{"public, max-age=" + age}, []string{"private, max-age=" + age}
	return c
}

// CacheControl is the Cache-Control header of product answers (public) and of customer
// answers (private); callers must not modify them.
func (c *Cache) CacheControl() (public, private []string) { return c.public, c.private }

// Product returns the body of a product's recommendations with at most limit items (1..
// MaxServed): what customers who bought it also bought, then its category's top sellers,
// then the shop's. A product that does not exist or is not active is NotFound.
func (c *Cache) Product(ctx context.Context, productID int64, limit int) (*Variant, error) {
	now := c.now()
	e := c.products.get(productID)
	if !e.fresh(now) {
		var err error
		e, err = refill(ctx, c, &c.products, productID, "product:"+strconv.FormatInt(productID, 10), e, now,
			func(ctx context.Context) (*entry, error) { return c.fillProduct(ctx, productID) })
		if err != nil {
			return nil, err
		}
	}
	if e.prepared == nil {
		return nil, errs.E(errs.NotFound, "product %d not found", productID)
	}
	return c.serve(ctx, e.prepared, limit, now)
}

// Customer returns the body of a customer's recommendations with at most limit items (1..
// MaxServed): what buyers of the products they bought or wishlisted also bought, leaving out
// what they bought, then top sellers of the categories they shop in, then the shop's.
func (c *Cache) Customer(ctx context.Context, customerID string, limit int) (*Variant, error) {
	now := c.now()
	e := c.customers.get(customerID)
	if !e.fresh(now) {
		var err error
		e, err = refill(ctx, c, &c.customers, customerID, "customer:"+customerID, e, now,
			func(ctx context.Context) (*entry, error) { return c.fillCustomer(ctx, customerID) })
		if err != nil {
			return nil, err
		}
	}
	return c.serve(ctx, e.prepared, limit, now)
}

func (c *Cache) serve(ctx context.Context, p *Prepared, limit int, now time.Time) (*Variant, error) {
	if limit < 1 || limit > MaxServed {
		return nil, errs.E(errs.Invalid, "limit must be from 1 to %d, got %d", MaxServed, limit)
	}
	a, err := c.available(ctx, now)
	if err != nil {
		return nil, err
	}
	return p.variant(limit, a), nil
}

// entry is one cached answer; prepared is nil for a product that does not exist (a cached
// 404, so a flood of unknown ids does not reach Postgres each time).
type entry struct {
	prepared *Prepared
	expires  atomic.Int64 // unix nanoseconds
}

func (e *entry) fresh(now time.Time) bool { return e != nil && now.UnixNano() < e.expires.Load() }

// refill fills key's entry, once for all the requests waiting on it, detached from the first
// request so every waiter shares the fill. When the fill fails, a stale answer is better
// than none, and is kept one more TTL rather than refilled on every request.
func refill[K comparable](ctx context.Context, c *Cache, es *entries[K], key K, flight string, stale *entry,
	now time.Time, fill func(context.Context) (*entry, error)) (*entry, error) {
	v, err, _ := c.fills.Do(flight, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fillTimeout)
		defer cancel()
		e, err := fill(ctx)
		if err != nil && stale != nil {
			c.logger.Warn("recommendations: serving a stale answer", "key", flight, "err", err)
			stale.expires.Store(now.Add(c.ttl).UnixNano())
			return stale, nil
		}
		if err != nil {
			return nil, errs.Wrap(err, errs.Unavailable, "recommendations are unavailable right now; try again shortly")
		}
		if e.expires.Load() == 0 {
			e.expires.Store(now.Add(c.ttl).UnixNano())
		}
		es.keep(key, e, now)
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*entry), nil
}

// entries is a bounded map of cached answers.
type entries[K comparable] struct {
	mu  sync.RWMutex
	m   map[K]*entry
	max int
}

func (es *entries[K]) get(key K) *entry {
	es.mu.RLock()
	defer es.mu.RUnlock()
	return es.m[key]
}

// keep caches e, making room when full: expired entries first, then arbitrary ones (map
// order is random) until an eighth of the room is free, so a full cache is not swept again
// on the very next miss.
func (es *entries[K]) keep(key K, e *entry, now time.Time) {
	es.mu.Lock()
	defer es.mu.Unlock()
	if _, ok := es.m[key]; !ok && len(es.m) >= es.max {
		for k, old := range es.m {
			if old.expires.Load() <= now.UnixNano() {
				delete(es.m, k)
			}
		}
		for k := range es.m {
			if len(es.m) < es.max-es.max/8 {
				break
			}
			delete(es.m, k)
		}
	}
	es.m[key] = e
}
