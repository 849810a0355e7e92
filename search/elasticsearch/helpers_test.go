package elasticsearch

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"shopflow/search"
	"shopflow/search/elasticsearch/estest"
)

// newTestEngine returns an engine on a fresh fake cluster with the "test_" prefix.
func newTestEngine(t *testing.T) (*Engine, *estest.Server) {
	t.Helper()
	srv := estest.New(t)
	return engineFor(t, Config{URLs: []string{srv.URL()}, IndexPrefix: "test_"}), srv
}

// engineFor builds an engine, failing the test on a configuration error.
func engineFor(t *testing.T, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// liveIndex creates an index, loads docs into it and swaps it in, as a reindex does.
func liveIndex(t *testing.T, e *Engine, docs ...search.Document) string {
	t.Helper()
	ctx := context.Background()
	name, err := e.CreateIndex(ctx)
	if err != nil {
		t.Fatalf("CreateIndex: %v", err)
	}
	res, err := e.Load(ctx, name, docs)
	if err != nil || len(res.Failed) > 0 || res.Written != len(docs) {
		t.Fatalf("Load = %+v, %v; want all %d written", res, err, len(docs))
	}
	if _, err := e.Swap(ctx, name); err != nil {
		t.Fatalf("Swap: %v", err)
	}
	return name
}

// catalog is a small set of products covering every filter and facet.
func catalog() []search.Document {
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	rating := func(v float64) *float64 { return &v }
	doc := func(id int64, name string, cat int64, catName string, price int64, stock bool, attrs map[string][]string) search.Document {
		return search.Document{
			ID: id, Name: name, Description: "A fine " + strings.ToLower(name), CategoryID: cat,
			CategoryPath: []int64{1, cat}, CategoryName: catName, CategoryNames: []string{"Electronics", catName},
			SellerID: "seller-a", StoreName: "Store A", PriceCents: price, Currency: "EUR", Attributes: attrs,
			Status: "active", InStock: stock, UnitsSold: id * 10, CreatedAt: created.Add(time.Duration(id) * time.Hour),
			Version: 1,
		}
	}
	docs := []search.Document{
		doc(1, "Dell Laptop 13", 10, "Laptops", 89900, true, map[string][]string{"brand": {"Dell"}, "colour": {"silver"}}),
		doc(2, "HP Laptop 15", 10, "Laptops", 59900, true, map[string][]string{"brand": {"HP"}, "colour": {"black"}}),
		doc(3, "Dell Monitor 27", 11, "Monitors", 29900, false, map[string][]string{"brand": {"Dell"}, "colour": {"black"}}),
		doc(4, "Laptop Sleeve", 12, "Bags", 1999, true, map[string][]string{"colour": {"black", "red"}}),
		doc(5, "Retired Laptop", 10, "Laptops", 9900, true, map[string][]string{"brand": {"Acer"}}),
	}
	docs[0].RatingAvg, docs[0].RatingCount = rating(4.5), 12
	docs[1].RatingAvg, docs[1].RatingCount = rating(3.9), 0
	docs[2].SellerID = "seller-b"
	docs[4].Status = "archived"
	return docs
}

// lastSearch returns the body of the latest _search request, decoded.
func lastSearch(t *testing.T, srv *estest.Server) map[string]any {
	t.Helper()
	req, ok := srv.LastRequest("POST", "/_search")
	if !ok {
		t.Fatal("no _search request was sent")
	}
	return req.JSON(t)
}

// at walks a decoded JSON value along a dotted path; numeric parts index arrays.
func at(t *testing.T, v any, path string) any {
	t.Helper()
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[part]
			if !ok {
				t.Fatalf("path %q: no key %q in %s", path, part, compact(x))
			}
			v = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				t.Fatalf("path %q: bad index %q into %d elements", path, part, len(x))
			}
			v = x[i]
		default:
			t.Fatalf("path %q: cannot descend into %T at %q", path, v, part)
		}
	}
	return v
}

// has reports whether a dotted path exists.
func has(v any, path string) bool {
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

// compact renders a value as one-line JSON for failure messages.
func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ids returns the ids of hits, in order.
func ids(hits []search.Hit) []int64 {
	out := []int64{}
	for _, h := range hits {
		out = append(out, h.ID)
	}
	return out
}
