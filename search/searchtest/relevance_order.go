package searchtest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"shopflow/search"
)

// Out-of-stock products come after every in-stock one, whatever the sort, across pages.
func (r relevance) inStockFirst(t *testing.T) {
	// A seller's "steel" products: few enough to page through, some out of stock.
	seller := r.sql.query(`SELECT p.seller_id::text`+from+`WHERE p.status = 'active' AND p.search @@ to_tsquery('simple', 'steel:*')
		GROUP BY p.seller_id HAVING count(*) <= $1 ORDER BY count(*) FILTER (WHERE NOT `+inStockSQL+`) DESC, 1 LIMIT 1`, search.MaxDepth)
	if len(seller) == 0 {
		t.Fatal("no seller has few enough steel products")
	}
	for _, sort := range search.Sorts {
		q := search.Query{Text: "steel", SellerID: seller[0][0].(string), Sort: sort, Limit: search.MaxPageSize}
		var stock []bool
		for more := true; more; q.Offset += q.Limit {
			res := r.search(t, q)
			for _, h := range res.Hits {
				stock = append(stock, h.InStock)
			}
			more = q.Offset+q.Limit < res.Total
		}
		first := slices.Index(stock, false)
		if first < 0 {
			t.Fatalf("sort %s: no out-of-stock product among %d hits to check", sort, len(stock))
		}
		if last := slices.Index(stock[first:], true); last >= 0 {
			t.Errorf("sort %s: in-stock hit at %d after an out-of-stock one at %d", sort, first+last, first)
		}
	}
}

// HideOutOfStock drops products without stock from hits, total and facets.
func (r relevance) hideOutOfStock(t *testing.T) {
	q := search.Query{CategoryID: r.cat.Categories["Home"], HideOutOfStock: true, Limit: search.MaxPageSize}
	res := r.search(t, q)
	if want := r.sql.total(q); res.Total != want || want == 0 {
		t.Errorf("Total %d, want %d", res.Total, want)
	}
	for _, h := range res.Hits {
		if !h.InStock {
			t.Errorf("hit %d is out of stock", h.ID)
		}
	}
	if res.Facets.Stock.OutOfStock != 0 {
		t.Errorf("stock facet %+v counts products out of stock", res.Facets.Stock)
	}
}

// Every sort but relevance orders as SQL does, ties by id; hits carry what the sort uses.
func (r relevance) sorts(t *testing.T) {
	for _, sort := range search.Sorts[1:] {
		for _, q := range []search.Query{
			{Sort: sort, Limit: 30},
			{Text: "black", Sort: sort, Offset: 40, Limit: 30},
			{CategoryID: r.cat.Categories["Fashion"], Sort: sort, Offset: 200, Limit: 30},
		} {
			res := r.search(t, q)
			want := r.sql.ids(q, q.Offset+q.Limit)[q.Offset:]
			if !slices.Equal(ids(res.Hits), want) {
				t.Errorf("sort %s, %+v:\n got %v\nwant %v", sort, q, ids(res.Hits), want)
			}
		}
	}
	// Relevance without text is newest first.
	q := search.Query{Limit: 30}
	if got, want := ids(r.search(t, q).Hits), r.sql.ids(q, 30); !slices.Equal(got, want) {
		t.Errorf("relevance without text: %v, want newest first %v", got, want)
	}
	hit := r.search(t, search.Query{Sort: search.SortRating, Limit: 1}).Hits[0]
	if hit.Rating == nil || hit.Rating.Count == 0 || hit.StoreName == "" || hit.CategoryName == "" {
		t.Errorf("best rated hit %+v lacks its rating, store or category name", hit)
	}
}

// Pages of one query never share a product, together make the one long page, and agree on
// the total.
func (r relevance) paging(t *testing.T) {
	for _, q := range []search.Query{{CategoryID: r.cat.Categories["Electronics"]}, {Text: "black"}} {
		q.Limit = 100
		whole := r.search(t, q)
		var paged []int64
		for q.Offset, q.Limit = 0, 20; q.Offset < 100; q.Offset += 20 {
			page := r.search(t, q)
			if page.Total != whole.Total {
				t.Errorf("%+v: Total %d, want %d as on the first page", q, page.Total, whole.Total)
			}
			paged = append(paged, ids(page.Hits)...)
		}
		if !slices.Equal(paged, ids(whole.Hits)) {
			t.Errorf("%+v: five pages of 20 %v, want the page of 100 %v", q, paged, ids(whole.Hits))
		}
		seen := map[int64]bool{}
		for _, id := range paged {
			if seen[id] {
				t.Errorf("%+v: product %d on two pages", q, id)
			}
			seen[id] = true
		}
	}
}

// Totals stop at search.MaxTotal and say so; the last pages are still reachable.
func (r relevance) totalCapped(t *testing.T) {
	q := search.Query{Offset: search.MaxDepth - 10, Limit: 10}
	res := r.search(t, q)
	want := r.sql.total(q)
	if res.Total != min(want, search.MaxTotal) || res.TotalCapped != (want > search.MaxTotal) {
		t.Errorf("Total %d (capped %v), want %d of %d", res.Total, res.TotalCapped, min(want, search.MaxTotal), want)
	}
	if want > search.MaxDepth && len(res.Hits) != 10 {
		t.Errorf("page at offset %d has %d hits, want 10", q.Offset, len(res.Hits))
	}
}

// Suggestions complete names and category names, in-stock best sellers first, and respect
// the limit while keeping room for a category.
func (r relevance) suggest(t *testing.T) {
	for _, limit := range []int{10, 3} {
		got := r.suggestions(t, "Lap", limit)
		var categories []string
		for _, sg := range got {
			if sg.Kind == "category" {
				categories = append(categories, sg.Text)
			}
		}
		if len(got) != limit || !slices.Contains(categories, "Laptops") {
			t.Errorf("limit %d: %d suggestions with categories %v, want %d with Laptops", limit, len(got), categories, limit)
		}
	}
	// Broad and narrow prefixes, one word or several; a long list of a narrow one shows the
	// out-of-stock products go last.
	for prefix, limit := range map[string]int{"s": 8, "lap": 8, "sony bra": 60, "kestrel hea": 8, "black": 8} {
		got := r.suggestions(t, prefix, limit)
		var products []int64
		for _, sg := range got {
			if sg.Kind == "product" {
				products = append(products, sg.ID)
			}
		}
		want := r.sql.int64s(`SELECT p.id`+from+`WHERE p.status = 'active' AND to_tsvector('simple', p.name) @@ to_tsquery('simple', $1)
			ORDER BY `+inStockSQL+` DESC, coalesce(st.units_sold, 0) DESC, p.id LIMIT $2`, strings.Join(splitWords(prefix), " & ")+":*", limit)
		if len(products) == 0 || !slices.Equal(products, want[:min(len(want), len(products))]) {
			t.Errorf("%q: products %v, want the in-stock best sellers %v", prefix, products, want)
		}
	}
}

func (r relevance) suggestions(t *testing.T, prefix string, limit int) []search.Suggestion {
	t.Helper()
	got, err := r.s.Suggest(context.Background(), prefix, limit)
	if err != nil {
		t.Fatalf("suggest %q: %v", prefix, err)
	}
	if len(got) > limit {
		t.Errorf("suggest %q: %d suggestions, limit %d", prefix, len(got), limit)
	}
	return got
}
