package recommend

import (
	"cmp"
	"slices"
)

// Personal combines the "also bought" lists of the products a customer bought or wishlisted
// into one ranked list of at most n items, best first, leaving out the products in exclude
// (what the customer already bought).
//
// An item's score is the sum over the lists holding it of weights[list.ProductID] times its
// score in that list, so a product recommended by several of the customer's products, or by
// one they care more about, ranks higher. A missing weight counts 1; a weight of zero or less
// makes the list count for nothing (a caller's way to switch a seed off). Support is the
// largest support among the lists holding the item: the orders behind different lists may
// overlap, so summing them would overstate the evidence.
//
// Personal is pure and deterministic: a product's list counts once however often it is
// passed, lists are summed in product-id order (float addition depends on order), and equal
// scores are broken by product id.
func Personal(lists []AlsoBought, weights map[int64]float64, exclude map[int64]bool, n int) []Item {
	if n <= 0 || len(lists) == 0 {
		return []Item{}
	}
	seeds := uniqueByProduct(lists)
	combined := make(map[int64]*Item)
	for _, l := range seeds {
		w, ok := weights[l.ProductID]
		if !ok {
			w = 1
		}
		if w <= 0 {
			continue
		}
		for _, it := range l.Items {
			if exclude[it.ProductID] || it.ProductID == l.ProductID {
				continue
			}
			c, ok := combined[it.ProductID]
			if !ok {
				c = &Item{ProductID: it.ProductID}
				combined[it.ProductID] = c
			}
			c.Score += w * it.Score
			c.Support = max(c.Support, it.Support)
		}
	}
	out := make([]Item, 0, len(combined))
	for _, c := range combined {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Item) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ProductID, b.ProductID)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// uniqueByProduct returns lists sorted by product id, keeping the first list seen for each
// product, so the result does not depend on the caller's order or duplicates.
func uniqueByProduct(lists []AlsoBought) []AlsoBought {
	seen := make(map[int64]bool, len(lists))
	out := make([]AlsoBought, 0, len(lists))
	for _, l := range lists {
		if seen[l.ProductID] {
			continue
		}
		seen[l.ProductID] = true
		out = append(out, l)
	}
	slices.SortStableFunc(out, func(a, b AlsoBought) int { return cmp.Compare(a.ProductID, b.ProductID) })
	return out
}
