package searchtest

import (
	"fmt"
	"slices"
	"testing"

	"shopflow/search"
)

func ptr[T any](v T) *T { return &v }

// filterCases are queries with every kind of filter, alone and together.
func (r relevance) filterCases() map[string]search.Query {
	c := r.cat.Categories
	return map[string]search.Query{
		"text":                   {Text: "laptop"},
		"category and price":     {CategoryID: c["Electronics"], MinPrice: ptr[int64](10000), MaxPrice: ptr[int64](50000)},
		"text, stock, colors":    {Text: "sony", InStock: ptr(true), Attributes: map[string][]string{"color": {"black", "white"}}},
		"brands and sizes":       {Attributes: map[string][]string{"brand": {"Sony", "LG"}, "size": {"55", "65"}}, Sort: search.SortPriceAsc},
		"out of stock":           {CategoryID: c["Home"], InStock: ptr(false), Sort: search.SortPriceDesc},
		"array attribute":        {Attributes: map[string][]string{"features": {"bluetooth", "waterproof"}}, Sort: search.SortBestSelling},
		"seller, rating, hidden": {Text: "black", SellerID: r.cat.Sellers[1], MinRating: ptr(3.0), HideOutOfStock: true, Sort: search.SortRating},
		"nothing":                {Text: "kestrel", CategoryID: c["Laptops"]},
	}
}

// Each filter keeps what the same filter in SQL keeps, and every facet counts what SQL counts
// with every filter but that facet's own.
func (r relevance) filtersAndFacets(t *testing.T) {
	for name, q := range r.filterCases() {
		t.Run(name, func(t *testing.T) {
			q.Limit = 50
			if q.Sort == "" && q.Text != "" {
				q.Sort = search.SortNewest // relevance order is not SQL's to check
			}
			res := r.search(t, q)
			if want := r.sql.total(q); res.Total != min(want, search.MaxTotal) || res.TotalCapped != (want > search.MaxTotal) {
				t.Errorf("Total %d (capped %v), want %d", res.Total, res.TotalCapped, want)
			}
			if want := r.sql.ids(q, q.Limit); !slices.Equal(ids(res.Hits), want) {
				t.Errorf("hits %v\nwant %v", ids(res.Hits), want)
			}
			if diff := sameFacets(res.Facets, r.sql.facets(q)); diff != "" {
				t.Error(diff)
			}
		})
	}
}

// Picking brand Sony keeps counting the other brands as if no brand were picked, while every
// other facet counts only Sony's products.
func (r relevance) disjunctive(t *testing.T) {
	tvs := search.Query{CategoryID: r.cat.Categories["TVs"], Limit: 10}
	sony := tvs
	sony.Attributes = map[string][]string{"brand": {"Sony"}}
	all, picked := r.search(t, tvs), r.search(t, sony)
	brands := func(f search.Facets) map[string]int {
		m := map[string]int{}
		for _, a := range f.Attributes {
			if a.Name == "brand" {
				for _, v := range a.Values {
					m[v.Value] = v.Count
				}
			}
		}
		return m
	}
	before, after := brands(all.Facets), brands(picked.Facets)
	if before["LG"] == 0 || fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("brand facet with Sony picked %v, want it as without a brand %v (with LG)", after, before)
	}
	if picked.Total != before["Sony"] || picked.Total >= all.Total {
		t.Errorf("Total with Sony picked %d, want Sony's count %d (of %d)", picked.Total, before["Sony"], all.Total)
	}
	if picked.Facets.Stock.InStock+picked.Facets.Stock.OutOfStock != picked.Total {
		t.Errorf("stock facet %+v does not count the %d Sony TVs", picked.Facets.Stock, picked.Total)
	}
	if diff := sameFacets(picked.Facets, r.sql.facets(sony)); diff != "" {
		t.Error(diff)
	}
}

// A category matches its products and those of every category below it, however deep.
func (r relevance) descendants(t *testing.T) {
	c := r.cat.Categories
	total := func(id int64) int { return r.search(t, search.Query{CategoryID: id}).Total }
	tree := map[string][]string{
		"Audio":       {"Headphones", "Speakers"},
		"Electronics": {"Laptops", "TVs", "Phones", "Tablets", "Audio", "Cameras"},
	}
	for parent, children := range tree {
		sum := 0
		for _, child := range children {
			sum += total(c[child])
		}
		if got := total(c[parent]); got != sum || got == 0 {
			t.Errorf("%s has %d matches, want its children's %d", parent, got, sum)
		}
	}
	q := search.Query{CategoryID: c["Electronics"], Limit: search.MaxPageSize}
	if want := r.sql.total(q); total(c["Electronics"]) != want {
		t.Errorf("Electronics has %d matches, want %d", total(c["Electronics"]), want)
	}
}

// MinPrice and MaxPrice include products priced exactly at them, and a price on a bucket's
// edge counts in the bucket it starts.
func (r relevance) priceBounds(t *testing.T) {
	edge := search.PriceBounds[2]
	q := search.Query{MinPrice: &edge, MaxPrice: &edge, Limit: search.MaxPageSize}
	res := r.search(t, q)
	if want := r.sql.total(q); res.Total != want || want == 0 {
		t.Fatalf("priced exactly %d: Total %d, want %d", edge, res.Total, want)
	}
	for _, h := range res.Hits {
		if h.PriceCents != edge {
			t.Errorf("hit %d costs %d, outside [%d, %d]", h.ID, h.PriceCents, edge, edge)
		}
	}
	narrow := r.search(t, search.Query{MinPrice: &edge, MaxPrice: ptr(edge + 1)})
	for _, b := range narrow.Facets.Prices {
		if b.From == edge && b.Count < res.Total {
			t.Errorf("bucket from %d counts %d, want at least the %d priced %d", edge, b.Count, res.Total, edge)
		}
	}
}
