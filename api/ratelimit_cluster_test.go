package api

import (
	"context"
	"testing"

	"github.com/go-redis/redis_rate/v10"

	"shopflow/redistest"
)

// The per-caller budget is one key per caller and class, spent by redis_rate's one-key
// script: on a Redis Cluster each budget holds exactly, whichever master it lands on, and
// callers do not share budgets.
func TestRateLimitOnRedisCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	prefix := redistest.Prefix()
	r := &rateLimiter{limiter: redis_rate.NewLimiter(c.Client), prefix: prefix}
	other := &rateLimiter{limiter: redis_rate.NewLimiter(c.Client), prefix: prefix} // another API process
	ctx := context.Background()
	callers := []string{"reads:ip:192.0.2.1", "reads:ip:192.0.2.2", "writes:account:u1", "auth:ip:192.0.2.3"}
	slots := map[int64]bool{}
	for _, who := range callers {
		slots[c.Slot(t, "rate:"+prefix+"rate:"+who)] = true // redis_rate adds "rate:" in front
		allowed := 0
		for i := range 8 {
			l := r
			if i%2 == 1 {
				l = other
			}
			res, err := l.allow(ctx, who, 5)
			if err != nil {
				t.Fatalf("%s: %v", who, err)
			}
			allowed += res.Allowed
		}
		if allowed != 5 {
			t.Fatalf("%s: %d of 8 requests allowed at 5 a minute, want 5", who, allowed)
		}
	}
	if len(slots) < 2 {
		t.Fatalf("the budgets fell in %d slot(s); the test needs them spread", len(slots))
	}
}
