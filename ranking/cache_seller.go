package ranking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"shopflow/errs"
)

// Seller returns the seller's SellerDocument (JSON) and where it came from: the published
// generation, else a computation in Postgres. Seller documents are not held in process: only
// the seller itself and admins ask for one, far too rarely to pay for the memory. A seller with no
// sales in the window has rank null and no categories; an unknown seller is NotFound.
func (c *Cache) Seller(ctx context.Context, sellerID string) ([]byte, Source, error) {
	if c.db == nil {
		return nil, "", errs.E(errs.Unavailable, "seller ranks are unavailable")
	}
	raw, meta, err := c.redisSeller(ctx, sellerID)
	switch {
	case err == nil && raw != nil:
		return raw, FromRedis, nil
	case err == nil: // published, but the seller sold nothing in the window (or does not exist)
		return c.noSales(ctx, sellerID, meta.NoSalesDocument(sellerID), FromRedis)
	case !errors.Is(err, ErrNotPublished):
		c.logger.Warn("top sellers: Redis unavailable, ranking sellers from Postgres", "seller_id", sellerID, "err", err)
	}
	ranks, err := c.sellerRanks(ctx)
	if err != nil {
		return nil, "", err
	}
	sr, ok := ranks.find(sellerID)
	if !ok {
		return c.noSales(ctx, sellerID, SellerRanking{SellerID: sellerID}.Document(ranks.window, ranks.at, ranks.ranked), FromPostgres)
	}
	raw, err = json.Marshal(sr.Document(ranks.window, ranks.at, ranks.ranked))
	if err != nil {
		return nil, "", fmt.Errorf("encode rank of seller %s: %w", sellerID, err)
	}
	return raw, FromPostgres, nil
}

// noSales answers for a seller absent from a ranking: doc if the seller exists, else NotFound.
func (c *Cache) noSales(ctx context.Context, sellerID string, doc SellerDocument, source Source) ([]byte, Source, error) {
	exists, err := SellerExists(ctx, c.db, sellerID)
	if err != nil {
		return nil, "", errs.Wrap(err, errs.Unavailable, "seller ranks are unavailable right now; try again shortly")
	}
	if !exists {
		return nil, "", errs.E(errs.NotFound, "seller %s not found", sellerID)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, "", fmt.Errorf("encode rank of seller %s: %w", sellerID, err)
	}
	return raw, source, nil
}

// sellerRanking is every seller's standing computed in Postgres, kept briefly in process.
type sellerRanking struct {
	window  Window
	at      time.Time
	ranked  int
	sellers []SellerRanking // by seller id
	expires time.Time
}

// find is the standing of the seller, if it sold in the window.
func (r *sellerRanking) find(sellerID string) (SellerRanking, bool) {
	i := sort.Search(len(r.sellers), func(i int) bool { return r.sellers[i].SellerID >= sellerID })
	if i < len(r.sellers) && r.sellers[i].SellerID == sellerID {
		return r.sellers[i], true
	}
	return SellerRanking{}, false
}

// sellerFallback holds the last ranking of every seller computed when nothing could be read
// from Redis.
type sellerFallback struct {
	mu   sync.Mutex
	last *sellerRanking
}

// sellerFallbackMinTTL is the least time a computed seller ranking is reused, even when the
// category cache's TTL is shorter: ranking the sellers reads the whole window's rollup.
const sellerFallbackMinTTL = 10 * time.Second

// sellerRanks is every seller's standing when Redis cannot give it. Ranking one seller costs as
// much as ranking them all (its rank needs every other seller's totals), so the fallback ranks
// them all at once, at most once per TTL and window however many requests and sellers ask:
// concurrent requests share one computation (single-flight), later ones reuse it.
func (c *Cache) sellerRanks(ctx context.Context) (*sellerRanking, error) {
	now := time.Now()
	w := WindowEnding(now, c.window)
	c.sellerFallback.mu.Lock()
	last := c.sellerFallback.last
	c.sellerFallback.mu.Unlock()
	if last != nil && last.window == w && now.Before(last.expires) {
		return last, nil
	}
	v, err, _ := c.fills.Do("sellers", func() (any, error) {
		// Detached from the first request: every request waiting on this fill shares it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheFillTimeout)
		defer cancel()
		r, err := Compute(ctx, c.db, w, 1)
		if err != nil {
			return nil, errs.Wrap(err, errs.Unavailable, "seller ranks are unavailable right now; try again shortly")
		}
		sort.Slice(r.Sellers, func(i, j int) bool { return r.Sellers[i].SellerID < r.Sellers[j].SellerID })
		out := &sellerRanking{window: w, at: r.GeneratedAt, ranked: r.RankedSellers, sellers: r.Sellers,
			expires: time.Now().Add(max(c.ttl, sellerFallbackMinTTL))}
		c.sellerFallback.mu.Lock()
		c.sellerFallback.last = out
		c.sellerFallback.mu.Unlock()
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*sellerRanking), nil
}

func (c *Cache) redisSeller(ctx context.Context, sellerID string) ([]byte, Meta, error) {
	if c.reader == nil {
		return nil, Meta{}, ErrNotPublished
	}
	ctx, cancel := context.WithTimeout(ctx, cacheRedisTimeout)
	defer cancel()
	return c.reader.Seller(ctx, sellerID)
}
