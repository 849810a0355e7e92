package recommend_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"shopflow/recommend"
	"shopflow/recommend/recommendtest"
	"shopflow/store"
	"shopflow/store/storetest"
)

func newRedis(t *testing.T) (*redis.Client, string) {
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
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := rdb.Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})
	return rdb, prefix
}

// TestPublishListsWritesChangedLists: the first run publishes every product with a list and
// Meta; a run after new sales rewrites only the lists those sales changed; a product that runs
// out of stock leaves the lists at the next full refresh, and a product whose pairs leave the
// window loses its key.
func TestPublishListsWritesChangedLists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	st := store.New(pool)
	rdb, prefix := newRedis(t)
	ids, err := recommendtest.SeedProducts(ctx, pool, 5, 10)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c, d, e := ids[0], ids[1], ids[2], ids[3], ids[4]
	now := time.Date(2026, 11, 21, 9, 5, 0, 0, time.UTC)
	order := 0
	buy := func(at time.Time, times int, products ...int64) {
		var lines []store.SaleLine
		for range times {
			order++
			for i, p := range products {
				lines = append(lines, store.SaleLine{Source: "t", ExternalOrderID: fmt.Sprint(order), LineNo: i + 1, OrderedAt: at,
					ProductID: p, Quantity: 1, Currency: "USD"})
			}
		}
		if _, err := st.RecordSales(ctx, lines); err != nil {
			t.Fatal(err)
		}
	}
	run := func(asOf time.Time, all bool) recommend.Publication {
		t.Helper()
		if _, err := recommend.UpdateCounts(ctx, st, asOf, 7, func(recommend.CountResult) {}); err != nil {
			t.Fatal(err)
		}
		p, err := recommend.PublishLists(ctx, st, rdb, prefix, recommend.PublishOptions{WindowDays: 7, MinSupport: 2, N: 10, GeneratedAt: asOf, All: all},
			func(recommend.Publication) {})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	list := func(p int64) (recommend.AlsoBought, bool) {
		raw, err := rdb.Get(ctx, recommend.AlsoBoughtKey(prefix, p)).Bytes()
		if errors.Is(err, redis.Nil) {
			return recommend.AlsoBought{}, false
		}
		if err != nil {
			t.Fatal(err)
		}
		var l recommend.AlsoBought
		if err := json.Unmarshal(raw, &l); err != nil {
			t.Fatal(err)
		}
		return l, true
	}

	buy(now.AddDate(0, 0, -3), 3, a, b)
	buy(now, 2, c, d)
	buy(now, 1, a, e) // under the minimum support
	if p := run(now, false); p.Written != 4 || p.Removed != 1 || p.Products != 4 {
		t.Fatalf("first run %+v, want lists of a, b, c, d and none for e", p)
	}
	if l, ok := list(a); !ok || len(l.Items) != 1 || l.Items[0].ProductID != b || l.Items[0].Support != 3 || l.WindowDays != 7 || !l.GeneratedAt.Equal(now) {
		t.Fatalf("a's list %+v %v, want b with support 3", l, ok)
	}
	var meta recommend.Meta
	if raw, err := rdb.Get(ctx, recommend.MetaKey(prefix)).Bytes(); err != nil || json.Unmarshal(raw, &meta) != nil || meta.Products != 4 {
		t.Fatalf("meta %s %v, want 4 products", raw, err)
	}

	// New sales of c and d only: only their lists are rewritten.
	buy(now.Add(time.Hour), 1, c, d)
	if p := run(now.Add(time.Hour), false); p.Written != 2 || p.Removed != 0 {
		t.Fatalf("second run %+v, want c and d only", p)
	}
	if l, _ := list(c); l.Items[0].Support != 3 {
		t.Fatalf("c's list %+v, want support 3", l)
	}

	// d runs out of stock: the daily full refresh takes it out of c's list.
	if _, err := pool.Exec(ctx, `UPDATE inventory SET on_hand = 0 WHERE product_id = $1`, d); err != nil {
		t.Fatal(err)
	}
	if p := run(now.Add(2*time.Hour), true); p.Written+p.Removed != 5 {
		t.Fatalf("full refresh %+v, want all 5 products recomputed", p)
	}
	if _, ok := list(c); ok {
		t.Fatal("c's list still recommends d, which is out of stock")
	}

	// Five days on, a and b's orders leave the 7-day window: their keys go.
	run(now.AddDate(0, 0, 5), false)
	if _, ok := list(a); ok {
		t.Fatal("a's list outlived its orders' window")
	}
}
