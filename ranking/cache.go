package ranking

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"shopflow/config"
	"shopflow/errs"
)

// Top sellers are read far more often than they change (once an hour), so the cache keeps each
// category's document prepared for serving: a request copies bytes that were encoded once, with
// no Redis round trip. A document is read again at most once per category every
// SHOPFLOW_TOPSELLERS_CACHE_TTL in each API process.

const (
	// MaxServedProducts is the largest ?limit= a category document is served with.
	MaxServedProducts = 100
	// cacheMaxEntries bounds the categories held (about 15 KB each with 100 products).
	cacheMaxEntries = 4096
	// cacheRedisTimeout bounds a Redis read, so a hung Redis falls back to Postgres quickly.
	cacheRedisTimeout = 250 * time.Millisecond
	// cacheFillTimeout bounds one fill (Redis, then Postgres), shared by every waiting request.
	cacheFillTimeout = 10 * time.Second
	// categorySetTTL is how long the set of category ids is trusted; an id missing from it is
	// looked up again at most once per categoryRecheck, so a new category is found quickly
	// and a flood of unknown ids costs Postgres one query a second.
	categorySetTTL  = 10 * time.Second
	categoryRecheck = time.Second
	// refreshOffset is when in each hour the Schedule publishes a new ranking (minute 1).
	refreshOffset = time.Minute
)

// Source says where a served ranking came from.
type Source string

// The sources of a served ranking.
const (
	FromCache    Source = "cache"    // read from Redis or Postgres within the cache TTL
	FromRedis    Source = "redis"    // read from the published generation now
	FromPostgres Source = "postgres" // computed now: nothing published, or Redis down
)

// Cache is the read-through cache every API process serves rankings from: the in-process copy
// while fresh, else the published generation in Redis, else a computation in Postgres. It is
// safe for concurrent use.
type Cache struct {
	ttl        time.Duration
	window     time.Duration
	n          int
	reader     *Reader // nil without Redis
	db         DB      // nil without Postgres
	logger     *slog.Logger
	maxEntries int

	mu      sync.RWMutex
	entries map[int64]*PreparedCategory

	categories atomic.Pointer[categorySet]
	fills      singleflight.Group
	// sellerFallback is the seller ranking computed when Redis has none to give (cache_seller.go).
	sellerFallback sellerFallback
}

// NewCache builds the cache from the configuration (TTL, window, products per category, Redis
// prefix). rdb or db may be nil: without Redis every miss is computed in Postgres, and without
// Postgres nothing can be found.
func NewCache(cfg config.Config, rdb redis.UniversalClient, db DB, logger *slog.Logger) *Cache {
	c := &Cache{
		ttl: cfg.TopSellersCacheTTL, window: cfg.TopSellersWindow, n: cfg.TopSellersN,
		db: db, logger: logger, maxEntries: cacheMaxEntries, entries: map[int64]*PreparedCategory{},
	}
	if c.window <= 0 {
		c.window = 24 * time.Hour
	}
	if c.n <= 0 {
		c.n = MaxServedProducts
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if rdb != nil {
		c.reader = &Reader{Redis: rdb, Prefix: cfg.RedisPrefix}
	}
	return c
}

// Category returns the category's prepared document and where it came from. When Redis and
// Postgres both fail, a stale document is better than none. An unknown category is NotFound;
// nowhere to read from is Unavailable.
func (c *Cache) Category(ctx context.Context, id int64) (*PreparedCategory, Source, error) {
	now := time.Now()
	c.mu.RLock()
	e := c.entries[id]
	c.mu.RUnlock()
	if e != nil && now.UnixNano() < e.expires.Load() {
		return e, FromCache, nil
	}
	known, err := c.knownCategory(ctx, id, now)
	if err != nil && e != nil {
		return e, FromCache, nil
	}
	if err != nil {
		return nil, "", err
	}
	if !known {
		return nil, "", errs.E(errs.NotFound, "category %d not found", id)
	}
	type filled struct {
		doc    *PreparedCategory
		source Source
	}
	v, err, _ := c.fills.Do("cat:"+strconv.FormatInt(id, 10), func() (any, error) {
		// Detached from the first request: every request waiting on this fill shares it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheFillTimeout)
		defer cancel()
		doc, source, err := c.fill(ctx, id, now)
		if err != nil && e != nil {
			c.logger.Warn("top sellers: serving a stale ranking", "category_id", id, "err", err)
			e.expires.Store(now.Add(c.ttl).UnixNano()) // and retry after a TTL, not on every request
			return filled{e, FromCache}, nil
		}
		return filled{doc, source}, err
	})
	if err != nil {
		return nil, "", err
	}
	f := v.(filled)
	return f.doc, f.source, nil
}

// fill reads the category's document from Redis, or computes it, and caches it.
func (c *Cache) fill(ctx context.Context, id int64, now time.Time) (*PreparedCategory, Source, error) {
	raw, err := c.redisCategory(ctx, id)
	source := FromRedis
	if err != nil {
		if !errors.Is(err, ErrNotPublished) {
			c.logger.Warn("top sellers: Redis unavailable, computing from Postgres", "category_id", id, "err", err)
		}
		if raw, err = c.postgresCategory(ctx, id, now); err != nil {
			return nil, "", errs.Wrap(err, errs.Unavailable, "top sellers are unavailable right now; try again shortly")
		}
		source = FromPostgres
	}
	doc, err := prepareCategory(raw, now.Add(c.ttl))
	if err != nil {
		return nil, "", err
	}
	c.keep(id, doc, now)
	return doc, source, nil
}

func (c *Cache) redisCategory(ctx context.Context, id int64) ([]byte, error) {
	if c.reader == nil {
		return nil, ErrNotPublished
	}
	ctx, cancel := context.WithTimeout(ctx, cacheRedisTimeout)
	defer cancel()
	return c.reader.Category(ctx, id)
}

func (c *Cache) postgresCategory(ctx context.Context, id int64, now time.Time) ([]byte, error) {
	if c.db == nil {
		return nil, errors.New("no database")
	}
	w := WindowEnding(now, c.window)
	cr, at, err := ComputeCategory(ctx, c.db, w, c.n, id)
	if err != nil {
		return nil, err
	}
	return json.Marshal(cr.Document(w, at))
}

// keep caches doc, making room when the cache is full: expired entries first, then arbitrary
// ones (map order is random) until an eighth of the room is free, so a full cache is not
// swept again on the very next miss.
func (c *Cache) keep(id int64, doc *PreparedCategory, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[id]; !ok && len(c.entries) >= c.maxEntries {
		for k, e := range c.entries {
			if e.expires.Load() <= now.UnixNano() {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < c.maxEntries-c.maxEntries/8 {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[id] = doc
}

// categorySet is every category id, as of loaded.
type categorySet struct {
	ids    map[int64]struct{}
	loaded time.Time
}

// knownCategory says whether the category exists, from a briefly cached set of ids, so an
// unknown id is a 404 without a Redis read or a ranking computed for nothing.
func (c *Cache) knownCategory(ctx context.Context, id int64, now time.Time) (bool, error) {
	if set := c.categories.Load(); set != nil {
		_, ok := set.ids[id]
		if age := now.Sub(set.loaded); age < categorySetTTL && (ok || age < categoryRecheck) {
			return ok, nil
		}
	}
	v, err, _ := c.fills.Do("categories", func() (any, error) {
		if c.db == nil {
			return nil, errs.E(errs.Unavailable, "categories are unavailable")
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheFillTimeout)
		defer cancel()
		ids, err := CategoryIDs(ctx, c.db)
		if err != nil {
			return nil, errs.Wrap(err, errs.Unavailable, "categories are unavailable right now; try again shortly")
		}
		set := &categorySet{ids: make(map[int64]struct{}, len(ids)), loaded: time.Now()}
		for _, id := range ids {
			set.ids[id] = struct{}{}
		}
		c.categories.Store(set)
		return set, nil
	})
	if err != nil {
		return false, err
	}
	_, ok := v.(*categorySet).ids[id]
	return ok, nil
}

// SecondsToRefresh is how long a served ranking may be reused: until a minute after the next
// scheduled publication, so a CDN never serves one more than an hour old.
func SecondsToRefresh(now time.Time) int64 {
	next := now.Truncate(time.Hour).Add(refreshOffset)
	if !now.Before(next) {
		next = next.Add(time.Hour)
	}
	return int64(next.Add(time.Minute).Sub(now) / time.Second)
}
