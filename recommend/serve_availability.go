package recommend

import (
	"context"
	"time"

	"shopflow/errs"
)

// availability is the set of products that must not be recommended (not active, or out of
// stock) as of loaded. Its version changes whenever the set does, so a prepared answer knows
// when to filter its candidates again; an unchanged set keeps every prepared body as it is.
type availability struct {
	unavailable map[int64]struct{}
	version     uint64
	loaded      time.Time
}

// has reports whether the product may be recommended.
func (a *availability) has(productID int64) bool {
	_, out := a.unavailable[productID]
	return !out
}

// available returns the availability view, reloading it once it is older than the cache's
// freshness. Every request waiting on a reload shares it. When the reload fails, the old view
// is kept for another freshness period: serving what was unavailable seconds ago beats
// serving nothing.
func (c *Cache) available(ctx context.Context, now time.Time) (*availability, error) {
	if a := c.avail.Load(); a != nil && now.Sub(a.loaded) < c.freshness {
		return a, nil
	}
	v, err, _ := c.fills.Do("availability", func() (any, error) {
		old := c.avail.Load()
		if old != nil && c.now().Sub(old.loaded) < c.freshness {
			return old, nil // reloaded while this request waited for its turn
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fillTimeout)
		defer cancel()
		started := c.now()
		ids, err := c.catalog.UnavailableProductIDs(ctx)
		if err != nil && old != nil {
			c.logger.Warn("recommendations: keeping the old availability view", "err", err)
			kept := &availability{unavailable: old.unavailable, version: old.version, loaded: started}
			c.avail.Store(kept)
			return kept, nil
		}
		if err != nil {
			return nil, errs.Wrap(err, errs.Unavailable, "recommendations are unavailable right now; try again shortly")
		}
		a := &availability{unavailable: make(map[int64]struct{}, len(ids)), version: 1, loaded: started}
		for _, id := range ids {
			a.unavailable[id] = struct{}{}
		}
		if old != nil {
			a.version = old.version
			if !sameSet(old.unavailable, a.unavailable) {
				a.version++
			}
		}
		c.avail.Store(a)
		return a, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*availability), nil
}

func sameSet(a, b map[int64]struct{}) bool {
	if len(a) != len(b) {
		return false
	}
	for id := range a {
		if _, ok := b[id]; !ok {
			return false
		}
	}
	return true
}
