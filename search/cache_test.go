package search_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"shopflow/search"
)

func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	url := os.Getenv("SHOPFLOW_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", url, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return rdb, "test:" + hex.EncodeToString(b) + ":"
}

func TestCacheComputesOnceAndSharesThroughRedis(t *testing.T) {
	rdb, prefix := testRedis(t)
	var computed atomic.Int32
	compute := func(context.Context) ([]byte, error) {
		computed.Add(1)
		return []byte(`{"items":[]}`), nil
	}
	a := search.NewCache(time.Minute, rdb, prefix, nil)
	// Identical queries arriving together share one computation.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if b, _, err := a.Get(t.Context(), "k", compute); err != nil || string(b) != `{"items":[]}` {
				t.Errorf("%s, %v", b, err)
			}
		})
	}
	wg.Wait()
	if n := computed.Load(); n != 1 {
		t.Fatalf("computed %d times for 20 identical queries, want 1", n)
	}
	if _, hit, _ := a.Get(t.Context(), "k", compute); hit != search.HitProcess {
		t.Fatalf("second read %q, want HIT", hit)
	}
	b := search.NewCache(time.Minute, rdb, prefix, nil) // another API process
	if _, hit, _ := b.Get(t.Context(), "k", compute); hit != search.HitRedis || computed.Load() != 1 {
		t.Fatalf("another process read %q after %d computations, want REDIS and 1", hit, computed.Load())
	}
}

func TestCacheKeepsNoErrorsAndZeroTTLCachesNothing(t *testing.T) {
	rdb, prefix := testRedis(t)
	c := search.NewCache(time.Minute, rdb, prefix, nil)
	boom := errors.New("engine down")
	if _, _, err := c.Get(t.Context(), "k", func(context.Context) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v, want the computation's", err)
	}
	if _, hit, err := c.Get(t.Context(), "k", func(context.Context) ([]byte, error) { return []byte("ok"), nil }); err != nil || hit != search.Miss {
		t.Fatalf("after an error: %q, %v; want a fresh computation", hit, err)
	}
	off := search.NewCache(0, rdb, prefix, nil)
	var n int
	for range 3 {
		_, _, _ = off.Get(t.Context(), "z", func(context.Context) ([]byte, error) { n++; return []byte("x"), nil })
	}
	if n != 3 {
		t.Fatalf("a zero TTL computed %d times for 3 reads, want 3", n)
	}
}

// Without Redis (or with Redis down) the cache still serves from process memory.
func TestCacheWorksWithoutRedis(t *testing.T) {
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond})
	defer down.Close()
	for _, rdb := range []redis.UniversalClient{nil, down} {
		c := search.NewCache(time.Minute, rdb, "x:", nil)
		var n int
		for range 3 {
			if _, _, err := c.Get(t.Context(), "k", func(context.Context) ([]byte, error) { n++; return []byte("x"), nil }); err != nil {
				t.Fatal(err)
			}
		}
		if n != 1 {
			t.Fatalf("computed %d times, want 1", n)
		}
	}
}

// A popular answer is refreshed in the background once a quarter of its TTL has passed: its
// readers keep getting the held answer at once, and the next one gets the refreshed one.
func TestCacheRefreshesPopularAnswersAhead(t *testing.T) {
	c := search.NewCache(400*time.Millisecond, nil, "x:", nil)
	var n atomic.Int32
	compute := func(context.Context) ([]byte, error) {
		return []byte{byte('0' + n.Add(1))}, nil
	}
	if b, _, _ := c.Get(t.Context(), "k", compute); string(b) != "1" {
		t.Fatalf("first answer %q", b)
	}
	if b, ok := c.Peek("k"); !ok || string(b) != "1" {
		t.Fatalf("Peek right after storing: %q, %v", b, ok)
	}
	deadline := time.Now().Add(5 * time.Second)
	for n.Load() < 2 {
		// Readers after a quarter of the TTL are answered from memory and start one refresh.
		b, hit, err := c.Get(t.Context(), "k", compute)
		if err != nil || hit != search.HitProcess && hit != search.Miss {
			t.Fatalf("%q %q %v", b, hit, err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no background refresh within 5s")
		}
		time.Sleep(20 * time.Millisecond) // readers arriving over time is the behaviour under test
	}
	for {
		if b, hit, _ := c.Get(t.Context(), "k", compute); string(b) == "2" && hit == search.HitProcess {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the refreshed answer was not served from memory")
		}
	}
	if got := n.Load(); got > 3 {
		t.Fatalf("%d computations, want one refresh at a time", got)
	}
}
