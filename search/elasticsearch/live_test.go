package elasticsearch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"testing"
	"time"

	"shopflow/search"
)

// TestRealElasticsearch runs the engine against a real cluster when
// SHOPFLOW_TEST_ELASTICSEARCH_URL names one (credentials may be in the URL), in indexes with a
// random prefix that it drops afterwards.
func TestRealElasticsearch(t *testing.T) {
	url := os.Getenv("SHOPFLOW_TEST_ELASTICSEARCH_URL")
	if url == "" {
		t.Skip("SHOPFLOW_TEST_ELASTICSEARCH_URL is not set; the fake cluster covers the engine")
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	e := engineFor(t, Config{
		URLs: []string{url}, IndexPrefix: "shopflow_test_" + hex.EncodeToString(suffix) + "_",
		Timeout: 10 * time.Second, Replicas: -1, // a single-node test cluster has nowhere to put replicas
	})
	ctx := context.Background()
	if err := e.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	docs := catalog()
	caseDoc := docs[3]
	caseDoc.ID, caseDoc.Name, caseDoc.Description, caseDoc.Attributes = 6, "Carry Case", "Fits any laptop", nil
	docs = append(docs, caseDoc)
	first := liveIndex(t, e, docs...)
	t.Cleanup(func() { _ = e.Drop(context.Background(), first) })
	if n, err := e.Count(ctx, first); err != nil || n != int64(len(docs)) {
		t.Fatalf("Count = %d, %v; want %d", n, err, len(docs))
	}

	t.Run("typo tolerant text search", func(t *testing.T) {
		res, err := e.Search(ctx, search.Query{Text: "dell lapotp", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(res.Hits), []int64{1}) || res.Backend != "elasticsearch" {
			t.Errorf("hits = %v, want [1]", ids(res.Hits))
		}
	})
	t.Run("exact name outranks description", func(t *testing.T) {
		res, err := e.Search(ctx, search.Query{Text: "laptop", Limit: 10})
		got := ids(res.Hits)
		if err != nil || len(got) != 4 || got[len(got)-1] != 6 {
			t.Errorf("hits = %v, %v; want the case, laptop only in its description, last of 4", got, err)
		}
	})
	t.Run("disjunctive facets", func(t *testing.T) {
		res, err := e.Search(ctx, search.Query{Attributes: map[string][]string{"brand": {"Dell"}}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(res.Hits), []int64{1, 3}) {
			t.Errorf("hits = %v, want [1 3]", ids(res.Hits))
		}
		want := []search.FacetValue{{Value: "Dell", Count: 2}, {Value: "HP", Count: 1}}
		if got := facet(t, res, "brand"); !slices.Equal(got, want) {
			t.Errorf("brand facet = %v, want %v", got, want)
		}
	})
	t.Run("suggest", func(t *testing.T) {
		got, err := e.Suggest(ctx, "lap", 4)
		if err != nil || len(got) == 0 || got[len(got)-1] != (search.Suggestion{Kind: "category", ID: 10, Text: "Laptops"}) {
			t.Errorf("Suggest = %v, %v; want products, then the Laptops category", got, err)
		}
	})
	t.Run("stale writes lose", func(t *testing.T) {
		doc := catalog()[0]
		doc.Version = 0
		if res, err := e.Apply(ctx, []search.Document{doc}); err != nil || res.Written != 0 || len(res.Failed) != 0 {
			t.Errorf("stale Apply = %+v, %v; want neither written nor failed", res, err)
		}
	})
	t.Run("swap and drop", func(t *testing.T) {
		second := liveIndex(t, e, catalog()[:2]...)
		t.Cleanup(func() { _ = e.Drop(context.Background(), second) })
		if live, err := e.Live(ctx); err != nil || !slices.Equal(live, []string{second}) {
			t.Errorf("Live = %v, %v; want [%s]", live, err, second)
		}
		if err := e.Drop(ctx, first); err != nil {
			t.Errorf("Drop: %v", err)
		}
	})
}
