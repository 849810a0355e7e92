package searchtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Queries returns up to n distinct queries a shopper might type on this catalog, the same for
// the same seed: single words ("laptop", "sony"), brand and type ("sony tv"), color and type,
// type and size ("55 tv"), prefixes as typed ("lap"), and typos ("lpatop"). It returns fewer
// when the catalog's words cannot make n distinct ones.
func (c Catalog) Queries(n int) []string {
	rng := rand.New(rand.NewPCG(uint64(c.seed), 0x9e3779b9))
	seen := map[string]bool{}
	var out []string
	for attempts := 0; len(out) < n && attempts < 50*n; attempts++ {
		q := strings.ToLower(c.drawQuery(rng))
		if q != "" && !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	return out
}

// drawQuery draws one query, its shape weighted by how often shoppers type it.
func (c Catalog) drawQuery(rng *rand.Rand) string {
	l := pick(rng, c.leaves)
	b := pick(rng, l.brands)
	kind := pick(rng, l.kinds)
	switch r := rng.IntN(20); {
	case r < 3:
		return kind
	case r < 5:
		return b.name
	case r < 6:
		return pick(rng, b.lines)
	case r < 10:
		return b.name + " " + kind
	case r < 12:
		return b.name + " " + pick(rng, b.lines)
	case r < 14:
		return pick(rng, colors) + " " + kind
	case r < 15:
		if len(l.sizes) == 0 {
			return kind
		}
		return fmt.Sprintf("%d %s", pick(rng, l.sizes), kind)
	case r < 18:
		word := pick(rng, []string{kind, b.name})
		return prefix(word, 3+rng.IntN(3))
	default:
		return typo(rng, kind)
	}
}

// prefix is the first n letters of word's first word, as typed so far.
func prefix(word string, n int) string {
	w := splitWords(word)[0]
	return w[:min(n, len(w))]
}

// typo swaps two neighbouring letters inside a word of at least five letters.
func typo(rng *rand.Rand, phrase string) string {
	words := splitWords(phrase)
	w := []byte(words[len(words)-1])
	if len(w) < 5 {
		return phrase
	}
	i := 1 + rng.IntN(len(w)-3)
	w[i], w[i+1] = w[i+1], w[i]
	words[len(words)-1] = string(w)
	return strings.Join(words, " ")
}
