package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"shopflow/recommend"
	"shopflow/recommend/recommendtest"
	"shopflow/store"
)

// customer is one generated customer's orders, oldest first; the last one is held out.
type customer struct {
	orders [][]int64
}

// bundle is how many products a planted co-purchase group holds.
const bundle = 5

// generate makes the history: each customer favours one bundle (chosen with a skew, so some
// bundles are big) and buys 3-7 orders, each one or two products of the bundle (80%) and a
// bestseller (60%, Zipf over the catalog, so a few products sit in many baskets).
func generate(o options, products []int64) []customer {
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 1))
	zipf := rand.NewZipf(rng, 1.2, 2, uint64(len(products)-1))
	bundles := len(products) / bundle
	out := make([]customer, o.Customers)
	for i := range out {
		b := int(float64(bundles) * rng.Float64() * rng.Float64())
		for range 3 + rng.IntN(5) {
			var basket []int64
			if rng.Float64() < 0.8 {
				for range 1 + rng.IntN(2) {
					basket = append(basket, products[b*bundle+rng.IntN(bundle)])
				}
			}
			if rng.Float64() < 0.3 || len(basket) == 0 {
				basket = append(basket, products[zipf.Uint64()])
			}
			out[i].orders = append(out[i].orders, basket)
		}
	}
	return out
}

// runQuality generates the history, computes the lists from all but each customer's last
// order, and scores the three recommenders on the held-out orders.
func runQuality(ctx context.Context, o options, e env, out io.Writer) error {
	products, err := recommendtest.SeedProducts(ctx, e.pool, o.Products, 1_000_000)
	if err != nil {
		return err
	}
	customers := generate(o, products)
	asOf := time.Now().UTC()
	var lines []store.SaleLine
	for i, c := range customers {
		for k, basket := range c.orders[:len(c.orders)-1] {
			at := asOf.Add(-time.Duration(len(c.orders)-k) * 24 * time.Hour)
			for l, p := range basket {
				lines = append(lines, store.SaleLine{Source: "bench", ExternalOrderID: fmt.Sprintf("c%d-o%d", i, k), LineNo: l + 1,
					OrderedAt: at, ProductID: p, Quantity: 1, UnitPriceCents: 100, Currency: "USD"})
			}
		}
	}
	fmt.Fprintf(out, "history: %d customers, %d products, %d training lines\n", len(customers), len(products), len(lines))
	for from := 0; from < len(lines); from += 5000 {
		if _, err := e.st.RecordSales(ctx, lines[from:min(from+5000, len(lines))]); err != nil {
			return err
		}
	}
	if _, _, err := e.compute(ctx, o, asOf, true, out); err != nil {
		return err
	}
	lists, err := e.readLists(ctx, products)
	if err != nil {
		return err
	}
	popular := popularity(customers)
	var n, hitsAlso, hitsPersonal, hitsPopular int
	for _, c := range customers {
		bought := map[int64]bool{}
		for _, b := range c.orders[:len(c.orders)-1] {
			for _, p := range b {
				bought[p] = true
			}
		}
		var targets []int64
		for _, p := range c.orders[len(c.orders)-1] {
			if !bought[p] {
				targets = append(targets, p)
			}
		}
		if len(targets) == 0 {
			continue // nothing new to find
		}
		n++
		last := c.orders[len(c.orders)-2]
		// Like the baseline, leave out what the customer already has.
		hitsAlso += hit(targets, slices.DeleteFunc(slices.Clone(lists[last[0]].Items), func(it recommend.Item) bool { return bought[it.ProductID] }))
		var seeds []recommend.AlsoBought
		weights := map[int64]float64{}
		for k, b := range c.orders[:len(c.orders)-1] {
			for _, p := range b {
				seeds = append(seeds, lists[p])
				weights[p] = max(weights[p], 1/float64(len(c.orders)-1-k)) // recent orders count more
			}
		}
		hitsPersonal += hit(targets, recommend.Personal(seeds, weights, bought, 10))
		var pop []recommend.Item
		for _, p := range popular {
			if !bought[p] {
				pop = append(pop, recommend.Item{ProductID: p})
			}
		}
		hitsPopular += hit(targets, pop)
	}
	rate := func(h int) float64 { return float64(h) / float64(n) }
	fmt.Fprintf(out, "hit rate at 10 over %d held-out orders:\n", n)
	fmt.Fprintf(out, "  also bought (list of the last purchase)  %.3f\n", rate(hitsAlso))
	fmt.Fprintf(out, "  personal (recommend.Personal)            %.3f\n", rate(hitsPersonal))
	fmt.Fprintf(out, "  popularity baseline                      %.3f\n", rate(hitsPopular))
	return nil
}

// readLists reads every product's published list back from Redis, as the API would.
func (e env) readLists(ctx context.Context, products []int64) (map[int64]recommend.AlsoBought, error) {
	lists, err := recommend.Reader{Redis: e.rdb, Prefix: e.prefix}.AlsoBoughtOf(ctx, products)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]recommend.AlsoBought, len(lists))
	for _, l := range lists {
		out[l.ProductID] = l
	}
	return out, nil
}

// popularity is the products by training orders holding them, most first (ties by id).
func popularity(customers []customer) []int64 {
	count := map[int64]int{}
	for _, c := range customers {
		for _, b := range c.orders[:len(c.orders)-1] {
			seen := map[int64]bool{}
			for _, p := range b {
				if !seen[p] {
					seen[p] = true
					count[p]++
				}
			}
		}
	}
	ids := make([]int64, 0, len(count))
	for p := range count {
		ids = append(ids, p)
	}
	slices.SortFunc(ids, func(a, b int64) int {
		if c := cmp.Compare(count[b], count[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return ids
}

// hit is 1 when one of the first 10 items is a target.
func hit(targets []int64, items []recommend.Item) int {
	for _, it := range items[:min(10, len(items))] {
		if slices.Contains(targets, it.ProductID) {
			return 1
		}
	}
	return 0
}
