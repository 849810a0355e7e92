package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// Cache keeps encoded search answers for a short TTL: in process first, then in Redis, shared
// by every API process. During a flash sale most shoppers type the same few queries; with the
// cache each distinct query reaches the engine about once per TTL, whatever the request rate,
// and identical queries arriving together share one computation.
type Cache struct {
	ttl    time.Duration
	redis  redis.UniversalClient // nil: in process only
	prefix string
	local  *expirable.LRU[string, entry]
	flight singleflight.Group
	// refreshing holds the keys being refreshed in the background, so a hot answer starts one
	// refresh, not one per reader.
	refreshing sync.Map
	logger     *slog.Logger
}

// entry is an answer held in process and when it was stored.
type entry struct {
	body []byte
	at   time.Time
}

// cacheEntries bounds the answers each process holds (a few KB each).
const cacheEntries = 10000

// cacheRedisTimeout bounds a Redis round trip; a slow Redis is skipped, not waited for.
const cacheRedisTimeout = 100 * time.Millisecond

// NewCache returns a cache of answers kept for ttl; rdb may be nil. A zero ttl caches nothing.
func NewCache(ttl time.Duration, rdb redis.UniversalClient, prefix string, logger *slog.Logger) *Cache {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Cache{ttl: ttl, redis: rdb, prefix: prefix + "search:", logger: logger}
	if ttl > 0 {
		// Half the TTL in process, so an answer is never older than the TTL once Redis's own
		// copy (up to a TTL old) is counted in.
		c.local = expirable.NewLRU[string, entry](cacheEntries, nil, ttl/2)
	}
	return c
}

// CacheHit says where an answer came from.
type CacheHit string

// Where an answer came from.
const (
	Miss       CacheHit = "MISS"  // computed now
	HitProcess CacheHit = "HIT"   // this process's copy
	HitRedis   CacheHit = "REDIS" // another process's answer, from Redis
)

// Get returns the answer cached under key, or computes, stores and returns it. Errors are not
// cached. A popular answer is refreshed in the background when half its time in process has
// passed, so its readers never wait for the engine: only a query nobody asked for a while does.
func (c *Cache) Get(ctx context.Context, key string, compute func(context.Context) ([]byte, error)) ([]byte, CacheHit, error) {
	if c == nil || c.ttl <= 0 {
		b, err := compute(ctx)
		return b, Miss, err
	}
	if e, ok := c.local.Get(key); ok {
		if time.Since(e.at) > c.ttl/4 {
			if _, busy := c.refreshing.LoadOrStore(key, true); !busy {
				// The refresh outlives this request, but not by more than the engine's own bound.
				go func() {
					defer c.refreshing.Delete(key)
					_, _ = c.fill(context.WithoutCancel(ctx), key, compute) // a failure leaves the next reader to retry
				}()
			}
		}
		return e.body, HitProcess, nil
	}
	a, err := c.fill(ctx, key, compute)
	return a.body, a.hit, err
}

// Peek returns the answer this process stored under key within the last quarter of the TTL,
// if any; it never computes. A caller that finds nothing asks Get.
func (c *Cache) Peek(key string) ([]byte, bool) {
	if c == nil || c.local == nil {
		return nil, false
	}
	e, ok := c.local.Get(key)
	if !ok || time.Since(e.at) > c.ttl/4 {
		return nil, false
	}
	return e.body, true
}

// Keep stores an answer under key in process only, e.g. under a second key for the same answer.
func (c *Cache) Keep(key string, body []byte) {
	if c != nil && c.local != nil {
		c.local.Add(key, entry{body: body, at: time.Now()})
	}
}

type answer struct {
	body []byte
	hit  CacheHit
}

// fill reads key from Redis, or computes it, once however many callers ask at the same time.
func (c *Cache) fill(ctx context.Context, key string, compute func(context.Context) ([]byte, error)) (answer, error) {
	v, err, _ := c.flight.Do(key, func() (any, error) {
		if b := c.fromRedis(ctx, key); b != nil {
			c.Keep(key, b)
			return answer{b, HitRedis}, nil
		}
		b, err := compute(ctx)
		if err != nil {
			return nil, err
		}
		c.Keep(key, b)
		c.toRedis(ctx, key, b)
		return answer{b, Miss}, nil
	})
	if err != nil {
		return answer{hit: Miss}, err
	}
	return v.(answer), nil
}

// Key hashes the parts of a normalised request into a cache key.
func Key(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (c *Cache) fromRedis(ctx context.Context, key string) []byte {
	if c.redis == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheRedisTimeout)
	defer cancel()
	b, err := c.redis.Get(ctx, c.prefix+key).Bytes()
	if err != nil && !errors.Is(err, redis.Nil) {
		c.logger.DebugContext(ctx, "search cache: redis read failed", "err", err)
	}
	return b
}

func (c *Cache) toRedis(ctx context.Context, key string, b []byte) {
	if c.redis == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheRedisTimeout)
	defer cancel()
	if err := c.redis.Set(ctx, c.prefix+key, b, c.ttl).Err(); err != nil {
		c.logger.DebugContext(ctx, "search cache: redis write failed", "err", err)
	}
}
