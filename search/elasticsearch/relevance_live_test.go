package elasticsearch_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"shopflow/search/elasticsearch"
	pgsearch "shopflow/search/postgres"
	"shopflow/search/searchtest"
	"shopflow/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

// TestRelevanceOnRealElasticsearch holds a real cluster (SHOPFLOW_TEST_ELASTICSEARCH_URL) to the
// answers the Postgres backend gives: the same generated catalog is loaded into a new index
// the way a reindex loads it, and searchtest.RunRelevance compares every answer with SQL.
func TestRelevanceOnRealElasticsearch(t *testing.T) {
	url := os.Getenv("SHOPFLOW_TEST_ELASTICSEARCH_URL")
	if url == "" {
		t.Skip("SHOPFLOW_TEST_ELASTICSEARCH_URL is not set; the Postgres backend runs these checks in search/postgres")
	}
	ctx := context.Background()
	pool := storetest.NewPool(t)
	cat, err := searchtest.Generate(ctx, pool, searchtest.Spec{Products: 12000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	e, err := elasticsearch.New(elasticsearch.Config{URLs: []string{url}, Timeout: 30 * time.Second, Replicas: -1,
		IndexPrefix: "shopflow_relevance_" + hex.EncodeToString(suffix) + "_"})
	if err != nil {
		t.Fatal(err)
	}
	index, err := e.CreateIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Drop(context.Background(), index) })
	docs := &pgsearch.Catalog{Pool: pool}
	for after := int64(0); ; {
		chunk, err := docs.Chunk(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(chunk) == 0 {
			break
		}
		if res, err := e.Load(ctx, index, chunk); err != nil || len(res.Failed) > 0 {
			t.Fatalf("load: %v, refused %v", err, res.Failed)
		}
		after = chunk[len(chunk)-1].ID
	}
	if _, err := e.Swap(ctx, index); err != nil {
		t.Fatal(err)
	}
	want, err := docs.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.Count(ctx, index); err != nil || n != want {
		t.Fatalf("index holds %d documents (%v), want the catalog's %d", n, err, want)
	}
	searchtest.RunRelevance(t, e, cat)
}
