package notify_test

import (
	"context"
	"testing"
	"time"

	"shopflow/notify"
	"shopflow/redistest"
)

// The channel limit is one key, updated by redis_rate's one-key script, so it runs on a Redis
// Cluster unchanged: two workers share the budget, and channels on different masters keep
// their own.
func TestRedisLimiterOnRedisCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	ctx, prefix := context.Background(), redistest.Prefix()
	rates := map[string]int{"sms": 5, "email": 5}
	a := notify.NewRedisLimiter(c.Client, prefix, rates)
	other := notify.NewRedisLimiter(c.Client, prefix, rates)
	start := time.Now()
	for i := range 10 {
		l := a
		if i%2 == 1 {
			l = other
		}
		for _, ch := range []string{"sms", "email"} {
			if err := l.Wait(ctx, ch); err != nil {
				t.Fatal(err)
			}
		}
	}
	// 5 a second with a burst of 5, per channel: the 10th token of each is free after about a
	// second; a shared or lost budget would make it about 2 s or 0.
	if d := time.Since(start); d < 800*time.Millisecond || d > 1900*time.Millisecond {
		t.Fatalf("10 sends on each of two channels at 5/s took %v", d)
	}
}
