package elasticsearch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"shopflow/search"
)

// cannedTransport answers the i-th request with the i-th body (the last one repeats), as
// Elasticsearch 8 would, and remembers the requests' paths.
type cannedTransport struct {
	mu     sync.Mutex
	bodies []string
	paths  []string
}

func (c *cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	body := c.bodies[min(len(c.paths), len(c.bodies)-1)]
	c.paths = append(c.paths, r.URL.Path)
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"X-Elastic-Product": {"Elasticsearch"}, "Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(body)),
		Request:    r,
	}, nil
}

// cannedEngine is an engine whose cluster answers with bodies in turn.
func cannedEngine(t *testing.T, bodies ...string) (*Engine, *cannedTransport) {
	t.Helper()
	tr := &cannedTransport{bodies: bodies}
	return engineFor(t, Config{URLs: []string{"http://es.invalid:9200"}, Transport: tr}), tr
}

// searchResponse is a search answer with typed keys, as the client asks for them.
func searchResponse(total int, relation, hits, aggs string) string {
	return fmt.Sprintf(`{"took":3,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},
		"hits":{"total":{"value":%d,"relation":%q},"max_score":1.2,"hits":[%s]},"aggregations":{%s}}`, total, relation, hits, aggs)
}

// filterAgg wraps an inner aggregation result as facetAggregations names it.
func filterAgg(name string, count int, inner string) string {
	return fmt.Sprintf(`"filter#%s":{"doc_count":%d,%s}`, name, count, inner)
}

func TestParseResult(t *testing.T) {
	hits := `{"_index":"shop_products-1","_id":"7","_score":1.2,"_source":{"id":7,"name":"Dell Laptop","price_cents":89900,
		"currency":"EUR","in_stock":true,"seller_id":"s1","store_name":"Store","category_id":10,"category_name":"Laptops",
		"units_sold":31,"rating_avg":4.5,"rating_count":12,"created_at":"2024-05-01T10:00:00Z","status":"active",
		"attribute_pairs":["brand=Dell"],"attribute_values":["Dell"]},"sort":[1,1.2,7]},
		{"_index":"shop_products-1","_id":"8","_score":1.1,"_source":{"id":8,"name":"HP Laptop","rating_avg":3.9,"rating_count":0}}`
	aggs := strings.Join([]string{
		filterAgg("categories", 12, `"lterms#values":{"doc_count_error_upper_bound":0,"sum_other_doc_count":0,"buckets":[
			{"key":10,"doc_count":9,"sterms#label":{"buckets":[{"key":"Laptops","doc_count":9}]}},
			{"key":11,"doc_count":3,"sterms#label":{"buckets":[{"key":"Monitors","doc_count":3}]}}]}`),
		filterAgg("prices", 12, `"range#values":{"buckets":[{"key":"0.0-1000.0","from":0.0,"to":1000.0,"doc_count":2},
			{"key":"100000.0-*","from":100000.0,"doc_count":1}]}`),
		filterAgg("stock", 12, `"lterms#values":{"buckets":[{"key":1,"key_as_string":"true","doc_count":10},
			{"key":0,"key_as_string":"false","doc_count":2}]}`),
		filterAgg("attributes", 12, `"sterms#values":{"buckets":[{"key":"colour=black","doc_count":8},
			{"key":"brand=Dell","doc_count":4},{"key":"colour=red","doc_count":1}]}`),
		filterAgg("attribute_0", 12, `"sterms#values":{"buckets":[{"key":"brand=HP","doc_count":5},{"key":"brand=Dell","doc_count":4}]}`),
	}, ",")
	e, _ := cannedEngine(t, searchResponse(10000, "gte", hits, aggs))

	res, err := e.Search(context.Background(), search.Query{Text: "laptop", Attributes: map[string][]string{"brand": {"Dell"}}, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 10000 || !res.TotalCapped {
		t.Errorf("total = %d capped=%v, want 10000 capped", res.Total, res.TotalCapped)
	}
	first := search.Hit{ID: 7, Name: "Dell Laptop", PriceCents: 89900, Currency: "EUR", InStock: true, SellerID: "s1",
		StoreName: "Store", CategoryID: 10, CategoryName: "Laptops", UnitsSold: 31,
		Rating: &search.Rating{Average: 4.5, Count: 12}, CreatedAt: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
	if len(res.Hits) != 2 {
		t.Fatalf("%d hits, want 2", len(res.Hits))
	}
	got := res.Hits[0]
	if got.Rating == nil || *got.Rating != *first.Rating || !got.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("first hit rating %v created %v, want %v %v", got.Rating, got.CreatedAt, first.Rating, first.CreatedAt)
	}
	got.Rating, got.CreatedAt, first.Rating, first.CreatedAt = nil, time.Time{}, nil, time.Time{}
	if got != first {
		t.Errorf("first hit = %+v, want %+v", got, first)
	}
	if res.Hits[1].Rating != nil {
		t.Errorf("hit without reviews has rating %+v, want none", res.Hits[1].Rating)
	}
	wantCats := []search.FacetValue{{Value: "10", Label: "Laptops", Count: 9}, {Value: "11", Label: "Monitors", Count: 3}}
	if !slices.Equal(res.Facets.Categories, wantCats) {
		t.Errorf("categories = %v, want %v", res.Facets.Categories, wantCats)
	}
	if p := res.Facets.Prices; len(p) != 2 || p[0].From != 0 || *p[0].To != 1000 || p[0].Count != 2 || p[1].From != 100000 || p[1].To != nil {
		t.Errorf("prices = %+v, want [0,1000)=2 and open [100000,)=1", p)
	}
	if res.Facets.Stock != (search.StockFacet{InStock: 10, OutOfStock: 2}) {
		t.Errorf("stock = %+v", res.Facets.Stock)
	}
	// brand comes from its own (disjunctive) aggregation; the brand pair in the unselected
	// aggregation was counted with the brand filter and is ignored.
	wantAttrs := fmt.Sprint([]search.AttributeFacet{
		{Name: "brand", Values: []search.FacetValue{{Value: "HP", Count: 5}, {Value: "Dell", Count: 4}}},
		{Name: "colour", Values: []search.FacetValue{{Value: "black", Count: 8}, {Value: "red", Count: 1}}},
	})
	if got := fmt.Sprint(res.Facets.Attributes); got != wantAttrs {
		t.Errorf("attributes = %s, want %s", got, wantAttrs)
	}
}

func TestParseAttributesKeepsTheMostFrequent(t *testing.T) {
	var buckets []string
	for k := 0; k < search.MaxAttributeFacets+3; k++ {
		for v := 0; v < search.MaxFacetValues+5; v++ {
			buckets = append(buckets, fmt.Sprintf(`{"key":"k%02d=v%02d","doc_count":%d}`, k, v, 100-k))
		}
	}
	aggs := filterAgg("attributes", 100, `"sterms#values":{"buckets":[`+strings.Join(buckets, ",")+`]}`) + "," +
		filterAgg("attribute_0", 100, `"sterms#values":{"buckets":[{"key":"rare=x","doc_count":1}]}`)
	e, _ := cannedEngine(t, searchResponse(100, "eq", "", aggs))

	res, err := e.Search(context.Background(), search.Query{Attributes: map[string][]string{"rare": {"x"}}, Limit: 0})
	if err != nil {
		t.Fatal(err)
	}
	attrs := res.Facets.Attributes
	if len(attrs) != search.MaxAttributeFacets {
		t.Fatalf("%d attribute facets, want %d", len(attrs), search.MaxAttributeFacets)
	}
	var names []string
	for _, a := range attrs {
		names = append(names, a.Name)
		if a.Name != "rare" && len(a.Values) != search.MaxFacetValues {
			t.Errorf("%s has %d values, want %d", a.Name, len(a.Values), search.MaxFacetValues)
		}
	}
	// The selected attribute stays although it is the rarest; the rest are the most frequent.
	want := []string{"k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "rare"}
	if !slices.Equal(names, want) {
		t.Errorf("attributes = %v, want %v", names, want)
	}
}

func TestDidYouMeanWithoutMatches(t *testing.T) {
	none := searchResponse(0, "eq", "", "")
	suggestion := `{"took":1,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},
		"hits":{"total":{"value":0,"relation":"eq"},"max_score":null,"hits":[]},
		"suggest":{"phrase#did_you_mean":[{"text":"lapotp","offset":0,"length":6,"options":[{"text":"laptop","score":0.4}]}]}}`
	e, tr := cannedEngine(t, none, suggestion, none)

	res, err := e.Search(context.Background(), search.Query{Text: "lapotp", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.DidYouMean != "laptop" || len(res.Hits) != 0 || res.Total != 0 {
		t.Errorf("result = %+v, want no hits and did-you-mean laptop", res)
	}
	if len(tr.paths) != 3 {
		t.Errorf("%d requests (%v), want search, suggest, search again", len(tr.paths), tr.paths)
	}
}

func TestNoDidYouMeanWithoutText(t *testing.T) {
	e, tr := cannedEngine(t, searchResponse(0, "eq", "", ""))
	res, err := e.Search(context.Background(), search.Query{CategoryID: 3, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.DidYouMean != "" || len(tr.paths) != 1 {
		t.Errorf("did you mean %q after %d requests, want none after 1", res.DidYouMean, len(tr.paths))
	}
}
