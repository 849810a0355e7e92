package elasticsearch

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"shopflow/search"
	"shopflow/search/elasticsearch/estest"
)

func TestApplyBulkLines(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e)
	docs := catalog()[:2]
	docs[0].Version, docs[1].Version = 41, 42
	srv.ResetRequests()

	res, err := e.Apply(context.Background(), docs)
	if err != nil || res.Written != 2 || len(res.Failed) != 0 {
		t.Fatalf("Apply = %+v, %v; want 2 written", res, err)
	}
	req, ok := srv.LastRequest("POST", "/_bulk")
	if !ok || req.Path != "/test_products/_bulk" || !strings.Contains(req.Query, "require_alias=true") {
		t.Fatalf("bulk sent to %s?%s, want the alias with require_alias", req.Path, req.Query)
	}
	lines := req.Lines(t)
	if len(lines) != 4 {
		t.Fatalf("%d bulk lines, want an action and a document per product", len(lines))
	}
	if got := compact(lines[0]); got != `{"index":{"_id":"1","version":41,"version_type":"external_gte"}}` {
		t.Errorf("action = %s, want index with external_gte version 41", got)
	}
	if got := compact(lines[2]); got != `{"index":{"_id":"2","version":42,"version_type":"external_gte"}}` {
		t.Errorf("second action = %s", got)
	}
	body := lines[1]
	if got := compact(body["attribute_pairs"]); got != `["brand=Dell","colour=silver"]` {
		t.Errorf("attribute_pairs = %s", got)
	}
	if got := compact(body["attribute_values"]); got != `["Dell","silver"]` {
		t.Errorf("attribute_values = %s", got)
	}
	if body["name"] != "Dell Laptop 13" || body["status"] != "active" || has(body, "version") || has(body, "Version") {
		t.Errorf("document = %s, want the product without its version", compact(body))
	}
}

func TestApplyVersions(t *testing.T) {
	e, srv := newTestEngine(t)
	index := liveIndex(t, e)
	ctx := context.Background()
	doc := catalog()[0]
	doc.Version = 5
	if res, err := e.Apply(ctx, []search.Document{doc}); err != nil || res.Written != 1 {
		t.Fatalf("Apply v5 = %+v, %v", res, err)
	}

	stale := doc
	stale.Version, stale.Name = 3, "Stale name"
	res, err := e.Apply(ctx, []search.Document{stale})
	if err != nil || res.Written != 0 || len(res.Failed) != 0 {
		t.Errorf("Apply stale = %+v, %v; want neither written nor failed", res, err)
	}
	same := doc
	same.Name = "Same version, rewritten"
	if res, err := e.Apply(ctx, []search.Document{same}); err != nil || res.Written != 1 {
		t.Errorf("Apply same version = %+v, %v; want written (external_gte)", res, err)
	}
	source, version, ok := srv.Doc(index, "1")
	if !ok || version != 5 || !strings.Contains(string(source), "Same version, rewritten") {
		t.Errorf("stored v%d %s, want v5 with the rewritten name", version, source)
	}
}

func TestApplyPartialFailure(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e)
	srv.FailBulkItem("2", 429, "es_rejected_execution_exception", "rejected execution of coordinating operation")
	docs := catalog()[:3]

	res, err := e.Apply(context.Background(), docs)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if res.Written != 2 || !slices.Equal(res.Failed, []int64{2}) {
		t.Errorf("Apply = %+v, want 2 written and product 2 failed", res)
	}
}

func TestApplyBeforeTheFirstReindex(t *testing.T) {
	e, srv := newTestEngine(t)
	res, err := e.Apply(context.Background(), catalog()[:2])
	if err != nil || res.Written != 0 || !slices.Equal(res.Failed, []int64{1, 2}) {
		t.Errorf("Apply = %+v, %v; want both failed (kept queued)", res, err)
	}
	if got := srv.Indexes(); len(got) != 0 {
		t.Errorf("indexes %v were created; an index named like the alias would block it", got)
	}
}

func TestApplyWholeRequestFailure(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e)
	srv.FailNext(1, 413, "illegal_argument_exception", "request body too large")
	_, err := e.Apply(context.Background(), catalog()[:1])
	if err == nil || !strings.Contains(err.Error(), "illegal_argument_exception") || !strings.Contains(err.Error(), "request body too large") {
		t.Errorf("err = %v, want the error type and reason", err)
	}
	if res, err := e.Apply(context.Background(), nil); err != nil || res.Written != 0 {
		t.Errorf("Apply(nil) = %+v, %v; want nothing to do", res, err)
	}
}

func TestLoadWritesThePhysicalIndex(t *testing.T) {
	e, srv := newTestEngine(t)
	ctx := context.Background()
	name, err := e.CreateIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The fake refuses fields the strict mapping does not know, so this also checks that
	// every field a document carries is mapped.
	res, err := e.Load(ctx, name, catalog())
	if err != nil || res.Written != len(catalog()) || len(res.Failed) != 0 {
		t.Fatalf("Load = %+v, %v", res, err)
	}
	req, _ := srv.LastRequest("POST", "/_bulk")
	if req.Path != "/"+name+"/_bulk" || strings.Contains(req.Query, "require_alias") {
		t.Errorf("bulk sent to %s?%s, want the physical index", req.Path, req.Query)
	}
	if n, err := e.Count(ctx, name); err != nil || n != int64(len(catalog())) {
		t.Errorf("Count = %d, %v; want %d", n, err, len(catalog()))
	}
	reqs := srv.Requests()
	if len(reqs) < 2 || !strings.HasSuffix(reqs[len(reqs)-2].Path, name+"/_refresh") || !strings.HasSuffix(reqs[len(reqs)-1].Path, name+"/_count") {
		t.Errorf("Count sent %v, want a refresh then a count", reqs[len(reqs)-2:])
	}
}

func TestCreateIndexSettingsAndMapping(t *testing.T) {
	srv := estest.New(t)
	e := engineFor(t, Config{URLs: []string{srv.URL()}, IndexPrefix: "shop_", Shards: 3, Replicas: -1})
	name, err := e.CreateIndex(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^shop_products-\d{19}$`).MatchString(name) {
		t.Errorf("index name %q, want shop_products-<unix nanos>", name)
	}
	var settings, mapping map[string]any
	if err := json.Unmarshal(srv.Settings(name), &settings); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(srv.Mappings(name), &mapping); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"number_of_shards":                      `"3"`,
		"number_of_replicas":                    `"0"`,
		"refresh_interval":                      `"1s"`,
		"analysis.analyzer.shop_text.filter":    `["lowercase","asciifolding"]`,
		"analysis.analyzer.shop_text.tokenizer": `"standard"`,
	} {
		if got := compact(at(t, settings, path)); got != want {
			t.Errorf("settings %s = %s, want %s", path, got, want)
		}
	}
	for path, want := range map[string]string{
		"dynamic":                                      `"strict"`,
		"properties.id.type":                           `"long"`,
		"properties.status.type":                       `"keyword"`,
		"properties.seller_id.type":                    `"keyword"`,
		"properties.attribute_pairs.type":              `"keyword"`,
		"properties.attributes.type":                   `"flattened"`,
		"properties.name.type":                         `"text"`,
		"properties.name.fields.keyword.type":          `"keyword"`,
		"properties.name.fields.suggest.type":          `"search_as_you_type"`,
		"properties.category_name.fields.keyword.type": `"keyword"`,
		"properties.price_cents.type":                  `"long"`,
		"properties.in_stock.type":                     `"boolean"`,
		"properties.created_at.type":                   `"date"`,
		"properties.description.analyzer":              `"shop_text"`,
	} {
		if got := compact(at(t, mapping, path)); got != want {
			t.Errorf("mapping %s = %s, want %s", path, got, want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	e := engineFor(t, Config{URLs: []string{"http://localhost:9200"}})
	if e.shards != 1 || e.replicas != 1 || e.timeout.Seconds() != 2 || e.Alias() != "products" {
		t.Errorf("defaults: %d shards, %d replicas, %v timeout, alias %q", e.shards, e.replicas, e.timeout, e.Alias())
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New without URLs succeeded, want an error")
	}
}
