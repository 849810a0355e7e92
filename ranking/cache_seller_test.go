package ranking_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"shopflow/config"
	"shopflow/errs"
	"shopflow/ranking"
	"shopflow/ranking/rankingtest"
	"shopflow/store/storetest"
)

// countingDB counts the transactions the ranking code opens: each ranking query runs in one.
type countingDB struct {
	ranking.DB
	n atomic.Int64
}

func (d *countingDB) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	d.n.Add(1)
	return d.DB.BeginTx(ctx, opts)
}

// TestSellerFallbackRanksOnceForConcurrentRequests: with Redis down, many concurrent requests
// for the ranks of many sellers run the ranking query once, not once per request.
func TestSellerFallbackRanksOnceForConcurrentRequests(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewPool(t)
	shop, err := rankingtest.Seed(ctx, pool, rankingtest.Spec{Roots: 2, Fanout: 2, Depth: 2, Sellers: 8, Products: 40,
		Facts: 4000, Hours: 3, End: time.Now().UTC().Truncate(time.Hour), Seed: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 300 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })
	db := &countingDB{DB: pool}
	c := ranking.NewCache(config.Config{TopSellersCacheTTL: time.Second, TopSellersWindow: 24 * time.Hour, RedisPrefix: "t:"}, dead, db, nil)

	var wg sync.WaitGroup
	fails := make(chan error, 64)
	for i := range 64 {
		wg.Go(func() {
			raw, source, err := c.Seller(ctx, shop.Sellers[i%len(shop.Sellers)])
			switch {
			case err != nil:
				fails <- err
			case source != ranking.FromPostgres || len(raw) == 0:
				fails <- errs.E(errs.Internal, "served from %q: %s", source, raw)
			}
		})
	}
	wg.Wait()
	close(fails)
	for err := range fails {
		t.Error(err)
	}
	if n := db.n.Load(); n != 1 {
		t.Errorf("64 concurrent seller ranks with Redis down ran %d ranking queries, want 1", n)
	}
}
