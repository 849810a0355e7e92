package elasticsearch

import (
	"context"
	"slices"
	"testing"

	"shopflow/errs"
	"shopflow/search"
	"shopflow/search/elasticsearch/estest"
)

// searchBody runs q and returns the body of the first search it sent (later ones are the
// did-you-mean follow-ups).
func searchBody(t *testing.T, e *Engine, srv *estest.Server, q search.Query) map[string]any {
	t.Helper()
	srv.ResetRequests()
	if _, err := e.Search(context.Background(), q); err != nil {
		t.Fatalf("Search: %v", err)
	}
	for _, r := range srv.Requests() {
		if r.Path == "/"+e.Alias()+"/_search" {
			return r.JSON(t)
		}
	}
	t.Fatal("no search was sent to the alias")
	return nil
}

// clauseSet renders a list of query clauses as a set of one-line JSON strings.
func clauseSet(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("clauses are %T, want a list", v)
	}
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = compact(c)
	}
	slices.Sort(out)
	return out
}

func TestSearchTextQuery(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e, catalog()...)
	body := searchBody(t, e, srv, search.Query{Text: " Dell  lapt ", Limit: 10})

	fields := `["name^3","category_names^2","attribute_values","description"]`
	if got := compact(at(t, body, "query.bool.must.0")); got != `{"multi_match":{"fields":`+fields+`,"fuzziness":"AUTO","query":"Dell"}}` {
		t.Errorf("first word = %s, want a fuzzy multi_match on every text field", got)
	}
	last := at(t, body, "query.bool.must.1.bool")
	if got := compact(at(t, last, "should.0")); got != `{"multi_match":{"fields":`+fields+`,"fuzziness":"AUTO","query":"lapt"}}` {
		t.Errorf("last word, fuzzy = %s", got)
	}
	if got := compact(at(t, last, "should.1")); got != `{"multi_match":{"fields":`+fields+`,"query":"lapt","type":"bool_prefix"}}` {
		t.Errorf("last word, prefix = %s", got)
	}
	if got := at(t, last, "minimum_should_match"); got != 1.0 {
		t.Errorf("last word minimum_should_match = %v, want 1", got)
	}
	if n := len(at(t, body, "query.bool.must").([]any)); n != 2 {
		t.Errorf("must has %d clauses, want one per word", n)
	}
	if got := compact(at(t, body, "query.bool.should")); got != `[{"match_phrase":{"name":{"boost":2,"query":"Dell lapt"}}}]` {
		t.Errorf("should = %s, want a boosted phrase on name so exact names rank first", got)
	}

	body = searchBody(t, e, srv, search.Query{Limit: 10})
	if has(body, "query.bool.must") || has(body, "query.bool.should") {
		t.Errorf("query without text has text clauses: %s", compact(body["query"]))
	}
}

func TestSearchFilterPlacement(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e, catalog()...)
	minPrice, maxPrice, no, rating := int64(1000), int64(5000), false, 4.0
	active := `{"term":{"status":{"value":"active"}}}`
	tests := []struct {
		name       string
		q          search.Query
		query      []string // query.bool.filter
		postFilter string   // post_filter, "" for none
	}{
		{"no filters: active products only", search.Query{}, []string{active}, ""},
		{"seller filters the query", search.Query{SellerID: "s1"}, []string{active, `{"term":{"seller_id":{"value":"s1"}}}`}, ""},
		{"rating filters the query", search.Query{MinRating: &rating}, []string{active, `{"range":{"rating_avg":{"gte":4}}}`}, ""},
		{"hiding out-of-stock filters the query", search.Query{HideOutOfStock: true}, []string{active, `{"term":{"in_stock":{"value":true}}}`}, ""},
		{"category is a post filter", search.Query{CategoryID: 10}, []string{active},
			`{"bool":{"filter":[{"term":{"category_path":{"value":10}}}]}}`},
		{"price range is a post filter", search.Query{MinPrice: &minPrice, MaxPrice: &maxPrice}, []string{active},
			`{"bool":{"filter":[{"range":{"price_cents":{"gte":1000,"lte":5000}}}]}}`},
		{"stock is a post filter", search.Query{InStock: &no}, []string{active},
			`{"bool":{"filter":[{"term":{"in_stock":{"value":false}}}]}}`},
		{"attributes: values OR-ed, keys AND-ed, in the post filter",
			search.Query{Attributes: map[string][]string{"colour": {"red"}, "brand": {"Dell", "HP"}}}, []string{active},
			`{"bool":{"filter":[{"terms":{"attribute_pairs":["brand=Dell","brand=HP"]}},{"terms":{"attribute_pairs":["colour=red"]}}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Limit = 10
			body := searchBody(t, e, srv, tt.q)
			want := slices.Clone(tt.query)
			slices.Sort(want)
			if got := clauseSet(t, at(t, body, "query.bool.filter")); !slices.Equal(got, want) {
				t.Errorf("query filters = %v, want %v", got, want)
			}
			switch {
			case tt.postFilter == "" && has(body, "post_filter"):
				t.Errorf("post_filter = %s, want none", compact(body["post_filter"]))
			case tt.postFilter != "" && compact(at(t, body, "post_filter")) != tt.postFilter:
				t.Errorf("post_filter = %s, want %s", compact(body["post_filter"]), tt.postFilter)
			}
		})
	}
}

func TestFacetAggregationsLeaveOutTheirOwnFilter(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e, catalog()...)
	minPrice, yes := int64(1000), true
	body := searchBody(t, e, srv, search.Query{
		CategoryID: 10, MinPrice: &minPrice, InStock: &yes, Limit: 10,
		Attributes: map[string][]string{"brand": {"Dell"}, "colour": {"red", "black"}},
	})
	category := `{"term":{"category_path":{"value":10}}}`
	price := `{"range":{"price_cents":{"gte":1000}}}`
	stock := `{"term":{"in_stock":{"value":true}}}`
	brand := `{"terms":{"attribute_pairs":["brand=Dell"]}}`
	colour := `{"terms":{"attribute_pairs":["colour=red","colour=black"]}}`
	tests := map[string][]string{
		"categories":  {price, stock, brand, colour},
		"prices":      {category, stock, brand, colour},
		"stock":       {category, price, brand, colour},
		"attributes":  {category, price, stock, brand, colour},
		"attribute_0": {category, price, stock, colour}, // brand
		"attribute_1": {category, price, stock, brand},  // colour
	}
	for name, want := range tests {
		want = slices.Clone(want)
		slices.Sort(want)
		if got := clauseSet(t, at(t, body, "aggregations."+name+".filter.bool.filter")); !slices.Equal(got, want) {
			t.Errorf("%s filter = %v, want %v", name, got, want)
		}
	}
	if n := len(at(t, body, "aggregations").(map[string]any)); n != len(tests) {
		t.Errorf("%d aggregations, want %d", n, len(tests))
	}
	checks := map[string]string{
		"categories.aggregations.values.terms":                    `{"field":"category_id","size":20}`,
		"categories.aggregations.values.aggregations.label.terms": `{"field":"category_name.keyword","size":1}`,
		"stock.aggregations.values.terms":                         `{"field":"in_stock","size":2}`,
		"attributes.aggregations.values.terms":                    `{"field":"attribute_pairs","size":500}`,
		"attribute_0.aggregations.values.terms":                   `{"field":"attribute_pairs","include":"brand=.*","size":20}`,
		"attribute_1.aggregations.values.terms":                   `{"field":"attribute_pairs","include":"colour=.*","size":20}`,
		"prices.aggregations.values.range.ranges": `[{"from":0,"to":1000},{"from":1000,"to":2500},{"from":2500,"to":5000},` +
			`{"from":5000,"to":10000},{"from":10000,"to":25000},{"from":25000,"to":50000},{"from":50000,"to":100000},{"from":100000}]`,
	}
	for path, want := range checks {
		if got := compact(at(t, body, "aggregations."+path)); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}

	body = searchBody(t, e, srv, search.Query{Limit: 10})
	if got := compact(at(t, body, "aggregations.categories.filter")); got != `{"match_all":{}}` {
		t.Errorf("without facet filters the categories filter = %s, want match_all", got)
	}
}

func TestSearchSort(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e, catalog()...)
	const stockFirst, byID = `{"in_stock":{"order":"desc"}}`, `{"id":{"order":"asc"}}`
	tests := []struct {
		name string
		q    search.Query
		want string // the sort key between in_stock and id
	}{
		{"text defaults to relevance", search.Query{Text: "laptop"}, `{"_score":{"order":"desc"}}`},
		{"no text defaults to newest", search.Query{}, `{"created_at":{"order":"desc"}}`},
		{"relevance without text is newest", search.Query{Sort: search.SortRelevance}, `{"created_at":{"order":"desc"}}`},
		{"price ascending", search.Query{Sort: search.SortPriceAsc}, `{"price_cents":{"order":"asc"}}`},
		{"price descending", search.Query{Sort: search.SortPriceDesc}, `{"price_cents":{"order":"desc"}}`},
		{"newest", search.Query{Text: "laptop", Sort: search.SortNewest}, `{"created_at":{"order":"desc"}}`},
		{"best selling", search.Query{Sort: search.SortBestSelling}, `{"units_sold":{"order":"desc"}}`},
		{"rating, unrated last", search.Query{Sort: search.SortRating}, `{"rating_avg":{"missing":"_last","order":"desc"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Limit = 10
			body := searchBody(t, e, srv, tt.q)
			if got, want := compact(body["sort"]), "["+stockFirst+","+tt.want+","+byID+"]"; got != want {
				t.Errorf("sort = %s, want %s", got, want)
			}
		})
	}
	t.Run("hidden out-of-stock products need no stock sort", func(t *testing.T) {
		body := searchBody(t, e, srv, search.Query{Sort: search.SortPriceAsc, HideOutOfStock: true, Limit: 10})
		if got, want := compact(body["sort"]), `[{"price_cents":{"order":"asc"}},`+byID+"]"; got != want {
			t.Errorf("sort = %s, want %s", got, want)
		}
	})
}

func TestSearchPaging(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e, catalog()...)
	body := searchBody(t, e, srv, search.Query{Offset: 40, Limit: 20})
	if body["from"] != 40.0 || body["size"] != 20.0 || body["track_total_hits"] != float64(search.MaxTotal) {
		t.Errorf("from=%v size=%v track_total_hits=%v, want 40 20 %d", body["from"], body["size"], body["track_total_hits"], search.MaxTotal)
	}
}

func TestSearchRejectsInvalidQueries(t *testing.T) {
	e, srv := newTestEngine(t)
	tests := map[string]search.Query{
		"unknown sort":    {Sort: "cheapest", Limit: 10},
		"page too large":  {Limit: search.MaxPageSize + 1},
		"too deep":        {Offset: search.MaxDepth - 10, Limit: 20},
		"negative offset": {Offset: -1, Limit: 10},
		"negative limit":  {Limit: -1},
	}
	for name, q := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := e.Search(context.Background(), q)
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("err = %v, want an invalid error", err)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d requests sent for an invalid query, want none", n)
			}
		})
	}
}

func TestCorrectionRequest(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e, catalog()...)
	srv.ResetRequests()
	res, err := e.Search(context.Background(), search.Query{Text: "zzzz", Limit: 10})
	if err != nil || res.DidYouMean != "" || len(res.Hits) != 0 {
		t.Fatalf("Search = %+v, %v; want nothing found and nothing to suggest", res, err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want the search and one suggestion request", len(reqs))
	}
	want := `{"size":0,"suggest":{"did_you_mean":{"phrase":{"direct_generator":[{"field":"name","suggest_mode":"always"}],` +
		`"field":"name","max_errors":2,"size":1}},"text":"zzzz"}}`
	if got := compact(reqs[1].JSON(t)); got != want {
		t.Errorf("suggestion request = %s, want %s", got, want)
	}
}
