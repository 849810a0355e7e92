package elasticsearch

import (
	"context"
	"slices"
	"testing"

	"shopflow/search"
)

// TestEngineEndToEnd runs a reindex and searches against the fake cluster, checking the
// answers rather than the requests: the fake evaluates filters, sorts and aggregations.
func TestEngineEndToEnd(t *testing.T) {
	e, _ := newTestEngine(t)
	liveIndex(t, e, catalog()...)
	ctx := context.Background()

	t.Run("only active products, in stock first, newest first without text", func(t *testing.T) {
		res, err := e.Search(ctx, search.Query{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ids(res.Hits), []int64{4, 2, 1, 3}; !slices.Equal(got, want) {
			t.Errorf("hits = %v, want %v", got, want)
		}
		if res.Total != 4 || res.TotalCapped || res.Backend != "elasticsearch" {
			t.Errorf("total = %d capped=%v backend=%q, want 4 false elasticsearch", res.Total, res.TotalCapped, res.Backend)
		}
	})

	t.Run("every word must match, the last as a prefix", func(t *testing.T) {
		res, err := e.Search(ctx, search.Query{Text: "dell lap", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(res.Hits); !slices.Equal(got, []int64{1}) {
			t.Errorf("hits = %v, want [1]", got)
		}
	})

	t.Run("price sort with hidden out-of-stock products", func(t *testing.T) {
		res, err := e.Search(ctx, search.Query{Sort: search.SortPriceDesc, HideOutOfStock: true, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(res.Hits); !slices.Equal(got, []int64{1, 2, 4}) {
			t.Errorf("hits = %v, want [1 2 4]", got)
		}
	})

	t.Run("facets are disjunctive", func(t *testing.T) {
		res, err := e.Search(ctx, search.Query{Attributes: map[string][]string{"brand": {"Dell"}}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(res.Hits); !slices.Equal(got, []int64{1, 3}) {
			t.Fatalf("hits = %v, want [1 3]", got)
		}
		brand := facet(t, res, "brand")
		// The brand facet ignores the brand filter: HP still shows, archived Acer does not.
		if want := []search.FacetValue{{Value: "Dell", Count: 2}, {Value: "HP", Count: 1}}; !slices.Equal(brand, want) {
			t.Errorf("brand facet = %v, want %v", brand, want)
		}
		// Colour counts only Dell products.
		if want := []search.FacetValue{{Value: "black", Count: 1}, {Value: "silver", Count: 1}}; !slices.Equal(facet(t, res, "colour"), want) {
			t.Errorf("colour facet = %v, want %v", facet(t, res, "colour"), want)
		}
		if res.Facets.Stock != (search.StockFacet{InStock: 1, OutOfStock: 1}) {
			t.Errorf("stock = %+v, want 1 in, 1 out", res.Facets.Stock)
		}
		wantCats := []search.FacetValue{{Value: "10", Label: "Laptops", Count: 1}, {Value: "11", Label: "Monitors", Count: 1}}
		if !slices.Equal(res.Facets.Categories, wantCats) {
			t.Errorf("categories = %v, want %v", res.Facets.Categories, wantCats)
		}
		// Only buckets holding matches are listed, as the Postgres backend lists them.
		if len(res.Facets.Prices) != 2 {
			t.Fatalf("price buckets = %+v, want the 2 that hold matches", res.Facets.Prices)
		}
		if b := res.Facets.Prices[0]; b.From != 25000 || *b.To != 50000 || b.Count != 1 {
			t.Errorf("price bucket 250-500 = %+v, want count 1", b)
		}
	})

	t.Run("a misspelling is corrected and searched again", func(t *testing.T) {
		res, err := e.Search(ctx, search.Query{Text: "lapotp sleeve", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if res.DidYouMean != "laptop sleeve" || !slices.Equal(ids(res.Hits), []int64{4}) {
			t.Errorf("did you mean %q, hits %v; want \"laptop sleeve\", [4]", res.DidYouMean, ids(res.Hits))
		}
	})

	t.Run("suggest completes categories and products", func(t *testing.T) {
		got, err := e.Suggest(ctx, "lap", 4)
		if err != nil {
			t.Fatal(err)
		}
		want := []search.Suggestion{
			{Kind: "product", ID: 1, Text: "Dell Laptop 13"},
			{Kind: "product", ID: 2, Text: "HP Laptop 15"},
			{Kind: "product", ID: 4, Text: "Laptop Sleeve"},
			{Kind: "category", ID: 10, Text: "Laptops"},
		}
		if !slices.Equal(got, want) {
			t.Errorf("Suggest = %v, want %v", got, want)
		}
	})
}

// facet returns the values of one attribute facet, failing if it is absent.
func facet(t *testing.T, res search.Result, name string) []search.FacetValue {
	t.Helper()
	for _, a := range res.Facets.Attributes {
		if a.Name == name {
			return a.Values
		}
	}
	t.Fatalf("no %q facet in %+v", name, res.Facets.Attributes)
	return nil
}
