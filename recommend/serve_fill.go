package recommend

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"shopflow/ranking"
	"shopflow/store"
)

const (
	// personalSeeds bounds the purchased, and separately the wishlisted, products whose lists
	// a customer's recommendations combine (the most recent ones).
	personalSeeds = 100
	// shoppedCategories is how many of the categories a customer shops in most fill in with
	// their top sellers.
	shoppedCategories = 3
	// purchaseHalfLife is how fast a purchase's weight in a customer's recommendations fades:
	// a purchase this old counts half as much as one made today, or as a wishlist entry.
	purchaseHalfLife = 90 * 24 * time.Hour
)

// fillProduct prepares a product's answer: its also-bought list, then its category's top
// sellers, then the shop's. A product that does not exist or is not active gets an entry
// without an answer (a 404).
func (c *Cache) fillProduct(ctx context.Context, productID int64) (*entry, error) {
	cards, err := c.cards(ctx, []int64{productID})
	if err != nil {
		return nil, err
	}
	self, ok := cards[productID]
	if !ok || self.Status != store.ProductActive {
		return &entry{}, nil
	}
	degraded := false
	var cands []candidate
	if c.lists != nil {
		lctx, cancel := context.WithTimeout(ctx, listTimeout)
		list, _, err := c.lists.AlsoBought(lctx, productID)
		cancel()
		if err != nil {
			c.logger.Warn("recommendations: Redis unavailable, serving top sellers", "product_id", productID, "err", err)
			degraded = true
		}
		for _, it := range list.Items {
			cands = append(cands, candidate{productID: it.ProductID, reason: AlsoBoughtReason, score: it.Score, support: it.Support})
		}
	}
	cands = append(cands, c.categoryTopSellers(ctx, self.CategoryID)...)
	cands = append(cands, c.popularCandidates(ctx)...)
	p, err := c.prepareCandidates(ctx, productHead(productID), cands, map[int64]bool{productID: true}, cards)
	if err != nil {
		return nil, err
	}
	return c.entryFor(p, degraded), nil
}

// fillCustomer prepares a customer's answer from what they bought and wishlisted.
func (c *Cache) fillCustomer(ctx context.Context, customerID string) (*entry, error) {
	in, err := c.catalog.CustomerInterests(ctx, customerID)
	if err != nil {
		return nil, err
	}
	weights, seeds := seedWeights(in, c.now())
	bought := make(map[int64]bool, len(in.Purchased))
	for _, p := range in.Purchased {
		bought[p.ProductID] = true
	}
	degraded := false
	var cands []candidate
	if c.lists != nil && len(seeds) > 0 {
		lctx, cancel := context.WithTimeout(ctx, listTimeout)
		lists, err := c.lists.AlsoBoughtOf(lctx, seeds)
		cancel()
		if err != nil {
			c.logger.Warn("recommendations: Redis unavailable, serving top sellers", "customer_id", customerID, "err", err)
			degraded = true
		}
		for _, it := range Personal(lists, weights, bought, maxCandidates) {
			cands = append(cands, candidate{productID: it.ProductID, reason: AlsoBoughtReason, score: it.Score, support: it.Support})
		}
	}
	for _, cat := range shopped(in, shoppedCategories) {
		cands = append(cands, c.categoryTopSellers(ctx, cat)...)
	}
	cands = append(cands, c.popularCandidates(ctx)...)
	p, err := c.prepareCandidates(ctx, []byte(`{"items":[`), cands, bought, nil)
	if err != nil {
		return nil, err
	}
	return c.entryFor(p, degraded), nil
}

// entryFor wraps p; an answer made without Redis is kept only as long as the availability
// view, so the lists come back soon after Redis does.
func (c *Cache) entryFor(p *Prepared, degraded bool) *entry {
	e := &entry{prepared: p}
	if degraded {
		e.expires.Store(c.now().Add(min(c.freshness, c.ttl)).UnixNano())
	}
	return e
}

// prepareCandidates drops excluded and repeated candidates (the first reason wins), keeps at
// most maxCandidates, reads the cards it does not have yet, and prepares the answer.
func (c *Cache) prepareCandidates(ctx context.Context, head []byte, cands []candidate, exclude map[int64]bool,
	cards map[int64]store.ProductCard) (*Prepared, error) {
	seen := make(map[int64]bool, len(cands))
	kept := cands[:0]
	var missing []int64
	for _, cd := range cands {
		if exclude[cd.productID] || seen[cd.productID] {
			continue
		}
		seen[cd.productID] = true
		kept = append(kept, cd)
		if _, ok := cards[cd.productID]; !ok {
			missing = append(missing, cd.productID)
		}
		if len(kept) == maxCandidates {
			break
		}
	}
	more, err := c.cards(ctx, missing)
	if err != nil {
		return nil, err
	}
	for id, card := range cards {
		more[id] = card
	}
	return prepare(head, kept, more)
}

// cards reads the cards of ids, by product id.
func (c *Cache) cards(ctx context.Context, ids []int64) (map[int64]store.ProductCard, error) {
	out := make(map[int64]store.ProductCard, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, err := c.catalog.ProductCards(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, card := range list {
		out[card.ID] = card
	}
	return out, nil
}

// categoryTopSellers is the category's top sellers as candidates; a ranking that cannot be
// read leaves them out rather than failing the answer.
func (c *Cache) categoryTopSellers(ctx context.Context, categoryID int64) []candidate {
	products, err := c.top.TopSellers(ctx, categoryID)
	if err != nil {
		c.logger.Warn("recommendations: no top sellers to fill in with", "category_id", categoryID, "err", err)
		return nil
	}
	out := make([]candidate, len(products))
	for i, p := range products {
		out[i] = candidate{productID: p.ProductID, reason: CategoryTopSeller}
	}
	return out
}

// popularProducts is the shop's top sellers overall, as of loaded.
type popularProducts struct {
	ids    []int64
	loaded time.Time
}

// popularCandidates is the shop's top sellers overall: the root categories' top sellers
// merged by units sold (then product id), read at most once per TTL.
func (c *Cache) popularCandidates(ctx context.Context) []candidate {
	pp := c.popular.Load()
	if pp == nil || c.now().Sub(pp.loaded) >= c.ttl {
		v, err, _ := c.fills.Do("popular", func() (any, error) { return c.loadPopular(ctx) })
		if err != nil && pp == nil {
			c.logger.Warn("recommendations: no popular products to fill in with", "err", err)
			return nil
		}
		if err == nil {
			pp = v.(*popularProducts)
		}
	}
	out := make([]candidate, len(pp.ids))
	for i, id := range pp.ids {
		out[i] = candidate{productID: id, reason: Popular}
	}
	return out
}

func (c *Cache) loadPopular(ctx context.Context) (*popularProducts, error) {
	loaded := c.now()
	roots, err := c.catalog.RootCategoryIDs(ctx)
	if err != nil {
		return nil, err
	}
	var all []ranking.Product
	for _, id := range roots {
		products, err := c.top.TopSellers(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("top sellers of root category %d: %w", id, err)
		}
		all = append(all, products...)
	}
	slices.SortFunc(all, func(a, b ranking.Product) int {
		if c := cmp.Compare(b.Units, a.Units); c != 0 {
			return c
		}
		return cmp.Compare(a.ProductID, b.ProductID)
	})
	pp := &popularProducts{loaded: loaded, ids: make([]int64, 0, min(len(all), ranking.MaxServedProducts))}
	for _, p := range all {
		if len(pp.ids) == ranking.MaxServedProducts {
			break
		}
		pp.ids = append(pp.ids, p.ProductID)
	}
	c.popular.Store(pp)
	return pp, nil
}

// seedWeights is how much each of a customer's products counts in their recommendations: a
// wishlist entry 1, a purchase 1 fading by half every purchaseHalfLife (the larger weight
// when a product is both). Seeds are the products whose lists are read.
func seedWeights(in store.CustomerInterests, now time.Time) (map[int64]float64, []int64) {
	weights := map[int64]float64{}
	var seeds []int64
	for _, p := range in.Purchased[:min(len(in.Purchased), personalSeeds)] {
		age := max(now.Sub(p.At), 0)
		weights[p.ProductID] = math.Pow(0.5, float64(age)/float64(purchaseHalfLife))
		seeds = append(seeds, p.ProductID)
	}
	for _, w := range in.Wishlisted[:min(len(in.Wishlisted), personalSeeds)] {
		if _, ok := weights[w.ProductID]; !ok {
			seeds = append(seeds, w.ProductID)
		}
		weights[w.ProductID] = 1
	}
	return weights, seeds
}

// shopped is the customer's n most shopped categories: by how many of their purchased and
// wishlisted products are in each, then by category id.
func shopped(in store.CustomerInterests, n int) []int64 {
	count := map[int64]int{}
	for _, list := range [][]store.Interest{in.Purchased, in.Wishlisted} {
		for _, p := range list {
			count[p.CategoryID]++
		}
	}
	cats := make([]int64, 0, len(count))
	for id := range count {
		cats = append(cats, id)
	}
	slices.SortFunc(cats, func(a, b int64) int {
		if c := cmp.Compare(count[b], count[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return cats[:min(len(cats), n)]
}

func productHead(productID int64) []byte {
	return []byte(`{"product_id":` + strconv.FormatInt(productID, 10) + `,"items":[`)
}
