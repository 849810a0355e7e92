package searchtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"

	"shopflow/search"
)

// product is one generated product with its inventory and search stats.
type product struct {
	id                int64
	sellerID          string
	categoryID        int64
	name, description string
	priceCents        int64
	attributes        map[string]any
	status            string
	createdAt         time.Time
	onHand, reserved  int
	unitsSold         int64
	ratingAvg         *float64
	ratingCount       int
}

// makeProducts draws spec.Products products from rng and appends the anchors.
func makeProducts(rng *rand.Rand, spec Spec, cat *Catalog) []product {
	products := make([]product, 0, spec.Products+3)
	for range spec.Products {
		l := cat.leaves[rng.IntN(len(cat.leaves))]
		p := drawProduct(rng, l, cat)
		p.categoryID = cat.Categories[l.name]
		products = append(products, p)
	}
	return append(products, anchors(cat)...)
}

// drawProduct makes a product of leaf l: a name like "Sony Bravia 55 TV", a description made of
// its features, attributes, a price, stock, sales, a rating and a creation time.
func drawProduct(rng *rand.Rand, l leaf, cat *Catalog) product {
	b := l.brands[rng.IntN(len(l.brands))]
	line := b.lines[rng.IntN(len(b.lines))]
	kind := l.kinds[rng.IntN(len(l.kinds))]
	f1, f2 := pick(rng, l.features), pick(rng, l.features)
	attrs := map[string]any{"brand": b.name, "color": drawColor(rng), "features": dedupe(f1, f2)}
	parts := []string{b.name, line}
	if len(l.sizes) > 0 {
		size := l.sizes[rng.IntN(len(l.sizes))]
		attrs["size"] = size
		parts = append(parts, fmt.Sprint(size))
	} else if rng.IntN(3) == 0 {
		parts = append(parts, pick(rng, []string{"Pro", "Plus", "Lite", "Max", "Mini", "II", "3"}))
	}
	parts = append(parts, kind)
	if c, ok := attrs["color"].(string); ok && rng.IntN(4) == 0 {
		parts = append(parts, capitalize(c))
	}
	if rng.IntN(2) == 0 {
		attrs["material"] = pick(rng, materials)
	}
	if rng.IntN(10) == 0 {
		attrs["condition"] = pick(rng, conditions[1:])
	} else {
		attrs["condition"] = conditions[0]
	}
	desc := fmt.Sprintf("The %s %s %s with %s and %s. %s %s", b.name, line, kind, f1, f2, pick(rng, sentences), pick(rng, sentences))
	if rng.IntN(10) == 0 { // some descriptions mention other products, as real ones do
		other := cat.leaves[rng.IntN(len(cat.leaves))]
		desc += fmt.Sprintf(" Pairs well with any %s.", pick(rng, other.kinds))
	}
	p := product{sellerID: pick(rng, cat.Sellers), name: strings.Join(parts, " "), description: desc,
		priceCents: drawPrice(rng, l), attributes: attrs, status: drawStatus(rng),
		createdAt: cat.Base.Add(-time.Duration(rng.Int64N(365*24*3600)) * time.Second)}
	drawStock(rng, &p)
	drawStats(rng, &p)
	return p
}

// drawPrice spreads prices log-uniformly over the leaf's range, most ending in 99; one in
// fifty sits exactly on a price bucket's edge, to test that bounds are inclusive.
func drawPrice(rng *rand.Rand, l leaf) int64 {
	if rng.IntN(50) == 0 {
		for _, b := range search.PriceBounds {
			if b >= l.minCents && b <= l.maxCents {
				return b
			}
		}
	}
	lo, hi := math.Log(float64(l.minCents)), math.Log(float64(l.maxCents))
	cents := int64(math.Exp(lo + rng.Float64()*(hi-lo)))
	return max(cents/100*100+99, l.minCents)
}

func drawColor(rng *rand.Rand) any {
	if rng.IntN(5) == 0 { // sold in several colors
		a, b := pick(rng, colors), pick(rng, colors)
		if a != b {
			return []string{a, b}
		}
	}
	return pick(rng, colors)
}

func drawStatus(rng *rand.Rand) string {
	switch rng.IntN(50) {
	case 0:
		return "draft"
	case 1:
		return "archived"
	}
	return "active"
}

// drawStock leaves about one product in eight out of stock: nothing on hand, or all of it
// reserved (which must count as out of stock too).
func drawStock(rng *rand.Rand, p *product) {
	switch rng.IntN(16) {
	case 0:
		p.onHand, p.reserved = 0, 0
	case 1:
		p.onHand = 1 + rng.IntN(3)
		p.reserved = p.onHand
	default:
		p.onHand = 1 + rng.IntN(200)
		p.reserved = rng.IntN(min(p.onHand, 5))
	}
}

// drawStats gives most products some sales, skewed so a few sell a lot, and half a rating.
func drawStats(rng *rand.Rand, p *product) {
	if rng.IntN(10) < 7 {
		p.unitsSold = int64(rng.ExpFloat64() * 40)
	}
	if rng.IntN(2) == 0 {
		avg := float64(100+rng.IntN(401)) / 100
		p.ratingAvg = &avg
		p.ratingCount = 1 + rng.IntN(800)
	}
}

// anchors are the three "kestrel headphones" products, in stock and unsold so nothing but
// relevance orders them.
func anchors(cat *Catalog) []product {
	mk := func(name, desc, category, brandName string) product {
		return product{sellerID: cat.Sellers[0], categoryID: cat.Categories[category], name: name, description: desc,
			priceCents: 12999, attributes: map[string]any{"brand": brandName, "color": "black", "condition": "new"},
			status: "active", createdAt: cat.Base.Add(-24 * time.Hour), onHand: 10}
	}
	return []product{
		mk("Kestrel Headphones", "Over ear sound with a warm, balanced profile.", "Headphones", "Kestrel"),
		mk("Kestrel Headphones Stand", "Holds any over ear pair on your desk.", "Headphones", "Kestrel"),
		mk("Padded travel pouch", "Made for kestrel headphones. Kestrel headphones fit snugly, and kestrel headphones owners love it.",
			"Bags", "Eastpak"),
	}
}

func pick[T any](rng *rand.Rand, from []T) T { return from[rng.IntN(len(from))] }

func dedupe(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

func capitalize(s string) string {
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
