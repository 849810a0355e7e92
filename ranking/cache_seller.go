package ranking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
		exists, err := SellerExists(ctx, c.db, sellerID)
		if err != nil {
			return nil, "", errs.Wrap(err, errs.Unavailable, "seller ranks are unavailable right now; try again shortly")
		}
		if !exists {
			return nil, "", errs.E(errs.NotFound, "seller %s not found", sellerID)
		}
		raw, err := json.Marshal(meta.NoSalesDocument(sellerID))
		if err != nil {
			return nil, "", fmt.Errorf("encode rank of seller %s: %w", sellerID, err)
		}
		return raw, FromRedis, nil
	case !errors.Is(err, ErrNotPublished):
		c.logger.Warn("top sellers: Redis unavailable, computing a seller's rank from Postgres", "seller_id", sellerID, "err", err)
	}
	w := WindowEnding(time.Now(), c.window)
	sr, ranked, at, err := ComputeSeller(ctx, c.db, w, sellerID)
	if errors.Is(err, ErrUnknownSeller) {
		return nil, "", errs.E(errs.NotFound, "seller %s not found", sellerID)
	}
	if err != nil {
		return nil, "", errs.Wrap(err, errs.Unavailable, "seller ranks are unavailable right now; try again shortly")
	}
	raw, err = json.Marshal(sr.Document(w, at, ranked))
	if err != nil {
		return nil, "", fmt.Errorf("encode rank of seller %s: %w", sellerID, err)
	}
	return raw, FromPostgres, nil
}

func (c *Cache) redisSeller(ctx context.Context, sellerID string) ([]byte, Meta, error) {
	if c.reader == nil {
		return nil, Meta{}, ErrNotPublished
	}
	ctx, cancel := context.WithTimeout(ctx, cacheRedisTimeout)
	defer cancel()
	return c.reader.Seller(ctx, sellerID)
}
