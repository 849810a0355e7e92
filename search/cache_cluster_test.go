package search_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"shopflow/redistest"
	"shopflow/search"
)

// The search cache keeps one key per answer, so on a Redis Cluster answers spread over the
// masters: each API process (here, a second Cache) finds every answer another one stored, and
// the engine is asked once per query.
func TestSearchCacheOnRedisCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	ctx, prefix := context.Background(), redistest.Prefix()
	first := search.NewCache(time.Minute, c.Client, prefix, nil)
	second := search.NewCache(time.Minute, c.Client, prefix, nil)
	var computed atomic.Int64
	slots := map[int64]bool{}
	for i := range 30 {
		key := search.Key("q", strconv.Itoa(i))
		slots[c.Slot(t, prefix+"search:"+key)] = true
		body := []byte("answer " + strconv.Itoa(i))
		compute := func(context.Context) ([]byte, error) { computed.Add(1); return body, nil }
		if got, hit, err := first.Get(ctx, key, compute); err != nil || hit != search.Miss || string(got) != string(body) {
			t.Fatalf("first process, query %d: %q %s %v", i, got, hit, err)
		}
		if got, hit, err := second.Get(ctx, key, compute); err != nil || hit != search.HitRedis || string(got) != string(body) {
			t.Fatalf("second process, query %d: %q %s %v, want the first's answer from Redis", i, got, hit, err)
		}
	}
	if computed.Load() != 30 {
		t.Fatalf("the engine was asked %d times for 30 queries", computed.Load())
	}
	if len(slots) < 3 {
		t.Fatalf("30 answers fell in %d slots; the test needs them spread", len(slots))
	}
}
