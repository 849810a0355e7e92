package notify_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"shopflow/notify"
)

// TestRedisLimiterPacesAcrossLimiters proves two limiters (two workers) share one budget.
func TestRedisLimiterPacesAcrossLimiters(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Skipf("redis: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() { rdb.Del(context.Background(), prefix+"notify:rate:sms") })
	a := notify.NewRedisLimiter(rdb, prefix, map[string]int{"sms": 5})
	other := notify.NewRedisLimiter(rdb, prefix, map[string]int{"sms": 5})
	start := time.Now()
	for i := range 10 {
		l := a
		if i%2 == 1 {
			l = other
		}
		if err := l.Wait(ctx, "sms"); err != nil {
			t.Fatal(err)
		}
		if err := l.Wait(ctx, "inapp"); err != nil { // unlimited
			t.Fatal(err)
		}
	}
	// 5 a second with a burst of 5: the 10th token is free after about one second.
	if d := time.Since(start); d < 800*time.Millisecond || d > 3*time.Second {
		t.Fatalf("10 sends at 5/s took %v", d)
	}
}
