package postgres

import (
	"context"
	"slices"
	"testing"

	"shopflow/errs"
	"shopflow/search"
)

func searchQuery(text string) search.Query { return search.Query{Text: text, Limit: 10} }

// Only letters and digits of what a shopper types reach to_tsquery, so operators and quotes
// cannot change the query's meaning or make it fail.
func TestPrefixQueryKeepsOnlyWords(t *testing.T) {
	for _, c := range []struct{ text, want, name string }{
		{"Sony  Bravia", "sony & bravia:*", "sony:A & bravia:*A"},
		{"a&b|!c:* 'd' (e) <-> f\\", "a & b & c & d & e & f:*", "a:A & b:A & c:A & d:A & e:A & f:*A"},
		{"Café 4K", "café & 4k:*", "café:A & 4k:*A"},
	} {
		words := splitWords(c.text)
		if got := prefixQuery(words, ""); got != c.want {
			t.Errorf("%q: %q, want %q", c.text, got, c.want)
		}
		if got := prefixQuery(words, "A"); got != c.name {
			t.Errorf("%q in names: %q, want %q", c.text, got, c.name)
		}
	}
	if words := splitWords(" -- ! "); len(words) != 0 {
		t.Errorf("punctuation gives words %v", words)
	}
}

// Hostile text finds nothing rather than failing, and a query the statement cannot answer is
// refused as invalid before it reaches SQL.
func TestSearchRefusesWhatItCannotAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := smallCatalog(t)
	s := &Searcher{Pool: pool}
	for _, text := range []string{"'); DROP TABLE products; --", "a:* | !b", "\\", "🙂"} {
		if _, err := s.Search(ctx, searchQuery(text)); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
	for name, q := range map[string]search.Query{
		"unknown sort":   {Sort: "name", Limit: 10},
		"page too large": {Limit: search.MaxPageSize + 1},
		"too deep":       {Offset: search.MaxDepth - 5, Limit: 10},
		"negative":       {Offset: -1, Limit: 10},
		"bad seller":     {SellerID: "not-a-uuid", Limit: 10},
	} {
		if _, err := s.Search(ctx, q); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: error %v, want invalid", name, err)
		}
	}
	res, err := s.Search(ctx, search.Query{Text: "laptop"})
	if err != nil || len(res.Hits) != 0 || res.Total == 0 || len(res.Facets.Categories) == 0 || res.Backend != "postgres" {
		t.Errorf("limit 0: %d hits, total %d, %d category facets, backend %q, %v; want counts only",
			len(res.Hits), res.Total, len(res.Facets.Categories), res.Backend, err)
	}
}

// Suggest answers an empty prefix with nothing and never returns more than asked.
func TestSuggestLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := smallCatalog(t)
	s := &Searcher{Pool: pool}
	if got, err := s.Suggest(ctx, " ! ", 5); err != nil || len(got) != 0 {
		t.Errorf("empty prefix: %v, %v", got, err)
	}
	for _, limit := range []int{1, 2, 7} {
		got, err := s.Suggest(ctx, "s", limit)
		if err != nil || len(got) != limit {
			t.Errorf("limit %d: %d suggestions, %v", limit, len(got), err)
		}
		kinds := make([]string, len(got))
		for n, sg := range got {
			kinds[n] = sg.Kind
		}
		if slices.Index(kinds, "category") >= 0 && slices.Index(kinds, "category") < slices.Index(kinds, "product") {
			t.Errorf("limit %d: a category before products: %v", limit, kinds)
		}
	}
}
