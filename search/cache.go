package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
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
	redis  *redis.Client // nil: in process only
	prefix string
	local  *expirable.LRU[string, []byte]
	flight singleflight.Group
	logger *slog.Logger
}

// cacheEntries bounds the answers each process holds (a few KB each).
const cacheEntries = 10000

// cacheRedisTimeout bounds a Redis round trip; a slow Redis is skipped, not waited for.
const cacheRedisTimeout = 100 * time.Millisecond

// NewCache returns a cache of answers kept for ttl; rdb may be nil. A zero ttl caches nothing.
func NewCache(ttl time.Duration, rdb *redis.Client, prefix string, logger *slog.Logger) *Cache {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Cache{ttl: ttl, redis: rdb, prefix: prefix + "search:", logger: logger}
	if ttl > 0 {
		// Half the TTL in process, so an answer is never older than the TTL once Redis's own
		// copy (up to a TTL old) is counted in.
		c.local = expirable.NewLRU[string, []byte](cacheEntries, nil, ttl/2)
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
// cached.
func (c *Cache) Get(ctx context.Context, key string, compute func(context.Context) ([]byte, error)) ([]byte, CacheHit, error) {
	if c == nil || c.ttl <= 0 {
		b, err := compute(ctx)
		return b, Miss, err
	}
	if b, ok := c.local.Get(key); ok {
		return b, HitProcess, nil
	}
	type answer struct {
		body []byte
		hit  CacheHit
	}
	v, err, _ := c.flight.Do(key, func() (any, error) {
		if b := c.fromRedis(ctx, key); b != nil {
			c.local.Add(key, b)
			return answer{b, HitRedis}, nil
		}
		b, err := compute(ctx)
		if err != nil {
			return nil, err
		}
		c.local.Add(key, b)
		c.toRedis(ctx, key, b)
		return answer{b, Miss}, nil
	})
	if err != nil {
		return nil, Miss, err
	}
	a := v.(answer)
	return a.body, a.hit, nil
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
