package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Limiter paces sends per channel.
type Limiter interface {
	// Wait blocks until one more message may go out on channel, or ctx ends.
	Wait(ctx context.Context, channel string) error
}

// RedisLimiter is a per-channel rate limit held in Redis (GCRA, via redis_rate), so it holds
// across every worker process sending on the same provider account.
type RedisLimiter struct {
	limiter *redis_rate.Limiter
	prefix  string
	limits  map[string]redis_rate.Limit
}

// NewRedisLimiter paces each channel in perSecond to that many messages a second (burst the
// same); a channel absent or at zero is unlimited.
func NewRedisLimiter(rdb redis.UniversalClient, prefix string, perSecond map[string]int) *RedisLimiter {
	limits := map[string]redis_rate.Limit{}
	for ch, n := range perSecond {
		if n > 0 {
			limits[ch] = redis_rate.PerSecond(n)
		}
	}
	return &RedisLimiter{limiter: redis_rate.NewLimiter(rdb), prefix: prefix, limits: limits}
}

// Wait takes one token of channel's limit, sleeping as Redis advises until one is free.
func (l *RedisLimiter) Wait(ctx context.Context, channel string) error {
	limit, ok := l.limits[channel]
	if !ok {
		return nil
	}
	key := l.prefix + "notify:rate:" + channel
	for {
		res, err := l.limiter.Allow(ctx, key, limit)
		if err != nil {
			return fmt.Errorf("rate limit %s: %w", channel, err)
		}
		if res.Allowed > 0 {
			return nil
		}
		t := time.NewTimer(res.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
