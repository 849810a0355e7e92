package estest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// call sends one request and decodes the JSON answer, checking the product header the
// client insists on.
func call(t *testing.T, s *Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("X-Elastic-Product"); got != "Elasticsearch" {
		t.Errorf("%s %s: X-Elastic-Product = %q", method, path, got)
	}
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %s", method, path, data)
		}
	}
	return resp.StatusCode, m
}

// errorType returns error.type of an error answer, checking its shape.
func errorType(t *testing.T, m map[string]any) string {
	t.Helper()
	e, _ := m["error"].(map[string]any)
	roots, _ := e["root_cause"].([]any)
	if e == nil || len(roots) != 1 || e["reason"] == nil || m["status"] == nil {
		t.Fatalf("error body %v lacks error.root_cause/type/reason or status", m)
	}
	return e["type"].(string)
}

const testMapping = `{"mappings":{"dynamic":"strict","properties":{"name":{"type":"text"},"status":{"type":"keyword"},
	"price":{"type":"long"},"tags":{"type":"keyword"}}}}`

func TestIndexLifecycle(t *testing.T) {
	s := New(t)
	if code, m := call(t, s, "PUT", "/shop-1", testMapping); code != 200 || m["acknowledged"] != true {
		t.Fatalf("create = %d %v", code, m)
	}
	if code, m := call(t, s, "PUT", "/shop-1", testMapping); code != 400 || errorType(t, m) != "resource_already_exists_exception" {
		t.Errorf("second create = %d %v", code, m)
	}
	if code, m := call(t, s, "PUT", "/bad", `{"mappings":{"properties":{"x":{"type":"txt"}}}}`); code != 400 || errorType(t, m) != "mapper_parsing_exception" {
		t.Errorf("unknown type = %d %v", code, m)
	}
	if code, m := call(t, s, "PUT", "/bad", `{"mappings":{"properties":{"x":{"type":"text","analyzer":"nope"}}}}`); code != 400 || errorType(t, m) != "mapper_parsing_exception" {
		t.Errorf("undefined analyzer = %d %v", code, m)
	}
	if code, m := call(t, s, "GET", "/_alias/shop", ""); code != 404 || m["status"] != 404.0 {
		t.Errorf("missing alias = %d %v", code, m)
	}
	call(t, s, "PUT", "/shop-2", testMapping)
	call(t, s, "POST", "/_aliases", `{"actions":[{"add":{"index":"shop-1","alias":"shop"}}]}`)
	// One bad action fails the whole request: the alias must not have moved.
	code, m := call(t, s, "POST", "/_aliases", `{"actions":[{"remove":{"index":"shop-1","alias":"shop"}},{"add":{"index":"shop-9","alias":"shop"}}]}`)
	if code != 404 || errorType(t, m) != "index_not_found_exception" || strings.Join(s.AliasIndexes("shop"), ",") != "shop-1" {
		t.Errorf("failed swap = %d %v, alias on %v", code, m, s.AliasIndexes("shop"))
	}
	call(t, s, "POST", "/_aliases", `{"actions":[{"remove":{"index":"shop-1","alias":"shop"}},{"add":{"index":"shop-2","alias":"shop"}}]}`)
	if code, m := call(t, s, "GET", "/_alias/shop", ""); code != 200 || m["shop-2"] == nil || m["shop-1"] != nil {
		t.Errorf("alias after swap = %d %v", code, m)
	}
	if code, m := call(t, s, "DELETE", "/shop", ""); code != 400 || errorType(t, m) != "illegal_argument_exception" {
		t.Errorf("delete through alias = %d %v", code, m)
	}
	if code, _ := call(t, s, "DELETE", "/shop-1", ""); code != 200 {
		t.Errorf("delete = %d", code)
	}
	if code, m := call(t, s, "DELETE", "/shop-1", ""); code != 404 || errorType(t, m) != "index_not_found_exception" {
		t.Errorf("second delete = %d %v", code, m)
	}
}

func TestBulkVersionsAndFailures(t *testing.T) {
	s := New(t)
	call(t, s, "PUT", "/shop-1", testMapping)
	s.FailBulkItem("3", 429, "es_rejected_execution_exception", "queue full")
	body := `{"index":{"_id":"1","version":5,"version_type":"external_gte"}}
{"name":"Red shoe","status":"active","price":100}
{"index":{"_id":"1","version":4,"version_type":"external_gte"}}
{"name":"Old shoe","status":"active","price":90}
{"index":{"_id":"2"}}
{"name":"Hat","colour":"red"}
{"index":{"_id":"3"}}
{"name":"Scarf"}
`
	code, m := call(t, s, "POST", "/shop-1/_bulk", body)
	if code != 200 || m["errors"] != true || m["took"] == nil {
		t.Fatalf("bulk = %d %v", code, m)
	}
	want := []struct {
		status  float64
		errType string
	}{{201, ""}, {409, "version_conflict_engine_exception"}, {400, "strict_dynamic_mapping_exception"}, {429, "es_rejected_execution_exception"}}
	items := m["items"].([]any)
	for i, w := range want {
		item := items[i].(map[string]any)["index"].(map[string]any)
		gotType := ""
		if e, ok := item["error"].(map[string]any); ok {
			gotType = e["type"].(string)
		}
		if item["status"] != w.status || gotType != w.errType || item["_index"] != "shop-1" {
			t.Errorf("item %d = %v, want status %v %s", i, item, w.status, w.errType)
		}
	}
	if src, version, ok := s.Doc("shop-1", "1"); !ok || version != 5 || !strings.Contains(string(src), "Red shoe") {
		t.Errorf("doc 1 = v%d %s, want v5 Red shoe", version, src)
	}
	if code, m := call(t, s, "POST", "/shop-1/_bulk", `{"index":{}}`); code != 400 || errorType(t, m) != "illegal_argument_exception" {
		t.Errorf("bulk without final newline = %d %v", code, m)
	}
}

func TestSearchSubset(t *testing.T) {
	s := New(t)
	call(t, s, "PUT", "/shop-1", testMapping)
	call(t, s, "POST", "/shop-1/_bulk", `{"index":{"_id":"1"}}
{"name":"Red running shoe","status":"active","price":100,"tags":["sale","new"]}
{"index":{"_id":"2"}}
{"name":"Blue shoe","status":"active","price":300,"tags":["new"]}
{"index":{"_id":"3"}}
{"name":"Red hat","status":"archived","price":50}
`)
	query := `{"query":{"bool":{"filter":[{"term":{"status":{"value":"active"}}}],"must":[{"multi_match":{"query":"sho","type":"bool_prefix","fields":["name^3"]}}]}},
		"post_filter":{"range":{"price":{"gte":200}}},"sort":[{"price":{"order":"desc"}}],"track_total_hits":10000,
		"aggregations":{"tags":{"terms":{"field":"tags","include":"n.*"}},"prices":{"range":{"field":"price","ranges":[{"to":200},{"from":200}]}}}}`
	code, m := call(t, s, "POST", "/shop-1/_search?typed_keys=true", query)
	if code != 200 {
		t.Fatalf("search = %d %v", code, m)
	}
	hits := m["hits"].(map[string]any)
	list := hits["hits"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["_id"] != "2" || hits["total"].(map[string]any)["value"] != 1.0 {
		t.Errorf("hits = %v, want only product 2 (post_filter applied)", hits)
	}
	aggs := m["aggregations"].(map[string]any)
	tags, _ := json.Marshal(aggs["sterms#tags"].(map[string]any)["buckets"])
	if string(tags) != `[{"doc_count":2,"key":"new"}]` {
		t.Errorf("tags = %s, want new=2 counted before the post_filter", tags)
	}
	prices, _ := json.Marshal(aggs["range#prices"].(map[string]any)["buckets"])
	if string(prices) != `[{"doc_count":1,"key":"*-200.0","to":200},{"doc_count":1,"from":200,"key":"200.0-*"}]` {
		t.Errorf("prices = %s", prices)
	}
	if code, m := call(t, s, "POST", "/shop-1/_search", `{"query":{"fuzzy":{"name":"shoo"}}}`); code != 400 || errorType(t, m) != "parsing_exception" {
		t.Errorf("unsupported query = %d %v, want a 400", code, m)
	}
	if code, m := call(t, s, "POST", "/missing/_search", `{}`); code != 404 || errorType(t, m) != "index_not_found_exception" {
		t.Errorf("missing index = %d %v", code, m)
	}
}

func TestFaults(t *testing.T) {
	s := New(t)
	s.FailNext(2, 503, "unavailable_shards_exception", "primary shard is not active")
	for i := 0; i < 2; i++ {
		if code, m := call(t, s, "GET", "/", ""); code != 503 || errorType(t, m) != "unavailable_shards_exception" {
			t.Errorf("request %d = %d %v, want the injected 503", i, code, m)
		}
	}
	if code, _ := call(t, s, "GET", "/", ""); code != 200 {
		t.Errorf("third request = %d, want 200 once the faults are used up", code)
	}
	s.Delay(300 * time.Millisecond)
	start := time.Now()
	call(t, s, "GET", "/", "")
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("delayed request took %v", took)
	}
	s.Delay(0)
	if n := len(s.Requests()); n != 4 {
		t.Errorf("%d requests recorded, want 4", n)
	}
	url := s.URL()
	s.Close()
	if _, err := http.Get(url); err == nil {
		t.Error("a closed node still answers")
	}
}
