package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// The phases, in the order each round runs them: each measured phase next to the one it is
// compared with, so both see the machine in the same minute.
const (
	phaseList       = "list"
	phaseSearch     = "search"
	phaseSuggest    = "suggest"
	phaseSearchHot  = "search-hot"
	phaseTopSellers = "top-sellers"
)

var phaseNames = []string{phaseList, phaseSearch, phaseSuggest, phaseSearchHot, phaseTopSellers}

// phase is one workload: the paths wrk cycles through on one server.
type phase struct {
	Name string
	// Base is the server's http://host:port; Cached says whether its search cache is on.
	Base   string
	Cached bool
	Paths  []string
}

// workload is what the phases ask for, drawn from the catalog.
type workload struct {
	Queries, Prefixes, Popular []string
	TopSellersCategory         int64
}

// phases builds every phase's paths on the server it runs against.
func (w workload) phases(uncached, cached string) []phase {
	return []phase{
		{phaseList, uncached, false, paths("/api/v1/products?q=", w.Queries)},
		{phaseSearch, uncached, false, paths("/api/v1/search?q=", w.Queries)},
		{phaseSuggest, uncached, false, paths("/api/v1/search/suggest?q=", w.Prefixes)},
		{phaseSearchHot, cached, true, paths("/api/v1/search?q=", w.Popular)},
		{phaseTopSellers, cached, true, []string{"/api/v1/categories/" + strconv.FormatInt(w.TopSellersCategory, 10) + "/top-sellers"}},
	}
}

func paths(prefix string, texts []string) []string {
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = prefix + url.QueryEscape(t)
	}
	return out
}

// typedPrefixes is what a shopper has typed of each query while its last word has 2 to 5
// letters: "sony tv" gives "so", "son", "sony", "sony tv". Each appears once, in the order
// first met, so the suggest phase, like the others, asks for distinct texts.
func typedPrefixes(queries []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, q := range queries {
		words := strings.Fields(q)
		for i, w := range words {
			letters := []rune(w)
			for n := 2; n <= min(5, len(letters)); n++ {
				p := strings.Join(append(words[:i:i], string(letters[:n])), " ")
				if !seen[p] {
					seen[p] = true
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// describe says in a few words what a phase asks for, for the report.
func (w workload) describe(name string) string {
	switch name {
	case phaseList:
		return fmt.Sprintf("`GET /products?q=`, %d distinct queries", len(w.Queries))
	case phaseSearch:
		return fmt.Sprintf("`GET /search?q=` with facets, the same %d queries", len(w.Queries))
	case phaseSuggest:
		return fmt.Sprintf("`GET /search/suggest?q=`, %d distinct prefixes", len(w.Prefixes))
	case phaseSearchHot:
		return fmt.Sprintf("`GET /search?q=`, %d popular queries, cache on", len(w.Popular))
	case phaseTopSellers:
		return fmt.Sprintf("`GET /categories/%d/top-sellers`", w.TopSellersCategory)
	}
	return name
}
