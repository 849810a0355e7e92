package searchtest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"shopflow/search"
)

// RunRelevance checks that s answers the shared search rules on cat, comparing with plain SQL
// on the same catalog, so every backend is held to the same answers: text matching and
// ranking, typo correction, filters, disjunctive facets, sorts, paging and suggestions. s
// must see all of cat (an external index must hold it). With more than search.MaxTotal
// active products, capped totals are checked too.
func RunRelevance(t *testing.T, s search.Searcher, cat Catalog) {
	r := relevance{s: s, cat: cat, sql: oracle{t: t, cat: cat}}
	t.Run("ExactNameBeatsDescription", r.exactNameFirst)
	t.Run("TypoIsCorrected", r.typo)
	t.Run("LastWordIsAPrefix", r.prefix)
	t.Run("OnlyActiveProducts", r.onlyActive)
	t.Run("FiltersAndFacetsMatchSQL", r.filtersAndFacets)
	t.Run("FacetsAreDisjunctive", r.disjunctive)
	t.Run("CategoryIncludesDescendants", r.descendants)
	t.Run("PriceBoundsAreInclusive", r.priceBounds)
	t.Run("InStockFirst", r.inStockFirst)
	t.Run("HideOutOfStock", r.hideOutOfStock)
	t.Run("SortsMatchSQL", r.sorts)
	t.Run("PagesDoNotOverlap", r.paging)
	t.Run("TotalIsCapped", r.totalCapped)
	t.Run("SuggestProductsAndCategories", r.suggest)
}

type relevance struct {
	s   search.Searcher
	cat Catalog
	sql oracle
}

func (r relevance) search(t *testing.T, q search.Query) search.Result {
	t.Helper()
	res, err := r.s.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return res
}

func ids(hits []search.Hit) []int64 {
	out := make([]int64, len(hits))
	for n, h := range hits {
		out[n] = h.ID
	}
	return out
}

// A product named exactly as the query ranks first, and one that only mentions the words in
// its description (three times) ranks below one whose name holds them among others.
func (r relevance) exactNameFirst(t *testing.T) {
	res := r.search(t, search.Query{Text: AnchorQuery, Limit: 20})
	got := ids(res.Hits)
	a := r.cat.Anchors
	exact, contains, desc := slices.Index(got, a.ExactName), slices.Index(got, a.NameContains), slices.Index(got, a.DescriptionOnly)
	if exact != 0 || contains < 0 || desc < 0 || contains > desc {
		t.Fatalf("%q ranks exact name at %d, name containing at %d, description only at %d (of %v); want 0, then the name before the description",
			AnchorQuery, exact, contains, desc, got)
	}
}

// "lapotp" matches nothing as typed, so it is searched as "laptop" and says so.
func (r relevance) typo(t *testing.T) {
	for typed, want := range map[string]string{"lapotp": "laptop", "lenovo lapotp": "lenovo laptop"} {
		res := r.search(t, search.Query{Text: typed, Limit: 10})
		if res.DidYouMean != want {
			t.Errorf("%q: DidYouMean %q, want %q", typed, res.DidYouMean, want)
		}
		if n := r.sql.total(search.Query{Text: want}); res.Total != n || n == 0 {
			t.Errorf("%q: Total %d, want %d (the matches of %q)", typed, res.Total, n, want)
		}
		if len(res.Hits) == 0 || !strings.Contains(strings.ToLower(res.Hits[0].Name), "laptop") {
			t.Errorf("%q: first hit %v is not a laptop", typed, res.Hits)
		}
	}
	if res := r.search(t, search.Query{Text: "laptop", Limit: 1}); res.DidYouMean != "" {
		t.Errorf("laptop, found as typed, has DidYouMean %q", res.DidYouMean)
	}
	if res := r.search(t, search.Query{Text: "qzxjv", Limit: 1}); res.Total != 0 || res.DidYouMean != "" {
		t.Errorf("qzxjv, like no word, found %d with DidYouMean %q", res.Total, res.DidYouMean)
	}
	// A description's word is no typo when only the filters leave nothing ("steel" is like
	// the brand Steelcase).
	q := search.Query{Text: "steel kettle", MinPrice: ptr[int64](1 << 40), Limit: 1}
	if res := r.search(t, q); res.Total != 0 || res.DidYouMean != "" {
		t.Errorf("steel kettle priced over %d: found %d with DidYouMean %q, want nothing and no correction", *q.MinPrice, res.Total, res.DidYouMean)
	}
}

// "lap" finds laptops, as the shopper is still typing; earlier words must match whole.
func (r relevance) prefix(t *testing.T) {
	for _, text := range []string{"lap", "lenovo think", "sony bra"} {
		res := r.search(t, search.Query{Text: text, Limit: 20, Sort: search.SortNewest})
		q := search.Query{Text: text, Sort: search.SortNewest}
		if want := r.sql.total(q); res.Total != want || want == 0 {
			t.Errorf("%q: Total %d, want %d", text, res.Total, want)
		}
		if want := r.sql.ids(q, 20); !slices.Equal(ids(res.Hits), want) {
			t.Errorf("%q: hits %v, want %v", text, ids(res.Hits), want)
		}
	}
}

// Drafts and archived products are never found, even by their exact name.
func (r relevance) onlyActive(t *testing.T) {
	rows := r.sql.query(`SELECT id, name FROM products WHERE status <> 'active' ORDER BY id LIMIT 5`)
	if len(rows) == 0 {
		t.Fatal("catalog has no inactive products")
	}
	for _, row := range rows {
		res := r.search(t, search.Query{Text: row[1].(string), Limit: search.MaxPageSize})
		if slices.Contains(ids(res.Hits), int64(row[0].(int))) {
			t.Errorf("inactive product %d %q was found", row[0], row[1])
		}
	}
}
