package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"shopflow/ranking"
	"shopflow/ranking/rankingtest"
	"shopflow/store"
)

// Helpers here are prefixed ts, to stay clear of other test files' names.

// tsShop is a test env with a generated shop whose ranking is published to the env's Redis.
type tsShop struct {
	*testEnv
	shop      rankingtest.Shop
	ranking   ranking.Ranking
	published ranking.Publication
	// quiet is a category without sales (its document is published, with no products).
	quiet int64
}

// newTSShop seeds a category tree with sales, all between 21 and 1 hours before the current
// hour, so they fall in the 24-hour window whichever side of an hour boundary a request lands.
func newTSShop(t *testing.T, publish bool) *tsShop {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	hour := time.Now().UTC().Truncate(time.Hour)
	shop, err := rankingtest.Seed(ctx, e.Store.Pool, rankingtest.Spec{Roots: 2, Fanout: 3, Depth: 2, Sellers: 3, Products: 60,
		Facts: 3000, Hours: 20, End: hour.Add(-time.Hour), Seed: 0.25, Source: "apitest"})
	if err != nil {
		t.Fatal(err)
	}
	s := &tsShop{testEnv: e, shop: shop}
	quiet, err := e.Store.CreateCategory(ctx, store.NewCategory{Name: "Quiet " + randHex(3)})
	if err != nil {
		t.Fatal(err)
	}
	s.quiet = quiet.ID
	if publish {
		s.publish()
	}
	return s
}

// publish computes the current window's ranking and publishes it, as the hourly job does.
func (s *tsShop) publish() {
	s.t.Helper()
	ctx := context.Background()
	r, err := ranking.Compute(ctx, s.Store.Pool, ranking.WindowEnding(time.Now(), s.Config.TopSellersWindow), s.Config.TopSellersN)
	if err != nil {
		s.t.Fatal(err)
	}
	pub, err := ranking.Publish(ctx, s.Redis, s.Config.RedisPrefix, r)
	if err != nil {
		s.t.Fatal(err)
	}
	s.ranking, s.published = r, pub
}

// products is the published ranking of a category.
func (s *tsShop) products(categoryID int64) []ranking.Product {
	for _, c := range s.ranking.Categories {
		if c.CategoryID == categoryID {
			return c.Products
		}
	}
	s.t.Fatalf("category %d is not in the published ranking", categoryID)
	return nil
}

// tsGet is a GET checked against api/openapi.yaml with docs/openapi/topsellers.yaml merged in.
func (e *testEnv) tsGet(path string, header map[string]string, token string) response {
	e.t.Helper()
	res := e.do(req{Method: "GET", Path: path, Header: header, Token: token})
	tsValidate(e.t, "GET", path, res)
	return res
}

type tsDocument struct {
	CategoryID  int64             `json:"category_id"`
	Window      ranking.Window    `json:"window"`
	GeneratedAt time.Time         `json:"generated_at"`
	Products    []ranking.Product `json:"products"`
}

func TestTopSellersServesThePublishedRanking(t *testing.T) {
	t.Parallel()
	s := newTSShop(t, true)
	root := s.shop.Categories[0]
	path := fmt.Sprintf("/api/v1/categories/%d/top-sellers", root)
	want := s.products(root)
	if len(want) < 12 {
		t.Fatalf("the root category ranks %d products; the test needs more than a page", len(want))
	}

	first := s.tsGet(path, nil, "")
	if first.Code != http.StatusOK || first.Header.Get("X-Top-Sellers-Source") != "redis" {
		t.Fatalf("first read: %d from %q: %s", first.Code, first.Header.Get("X-Top-Sellers-Source"), first.Body)
	}
	var doc tsDocument
	first.JSON(t, &doc)
	if doc.CategoryID != root || doc.Window != s.ranking.Window || !doc.GeneratedAt.Equal(s.ranking.GeneratedAt) || !reflect.DeepEqual(doc.Products, want[:10]) {
		t.Errorf("default page: %+v\nwant the published top 10 of %+v", doc, want)
	}
	etag := first.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
		t.Errorf("ETag %q is not a strong entity tag", etag)
	}
	if first.Header.Get("Content-Type") != "application/json; charset=utf-8" || first.Header.Get("Content-Length") != strconv.Itoa(len(first.Body)) {
		t.Errorf("content type %q, length %q for %d bytes", first.Header.Get("Content-Type"), first.Header.Get("Content-Length"), len(first.Body))
	}
	tsWantCacheControl(t, first, time.Now())

	second := s.tsGet(path, nil, "")
	if second.Header.Get("X-Top-Sellers-Source") != "cache" || !bytes.Equal(second.Body, first.Body) || second.Header.Get("ETag") != etag {
		t.Errorf("second read: from %q, same body %v, ETag %q (was %q)", second.Header.Get("X-Top-Sellers-Source"),
			bytes.Equal(second.Body, first.Body), second.Header.Get("ETag"), etag)
	}

	t.Run("limit", func(t *testing.T) {
		e := specEnvFor(s.testEnv, t)
		etags := map[string]int{etag: 10}
		for _, limit := range []int{1, 3, 11, 100} {
			res := e.tsGet(fmt.Sprintf("%s?limit=%d", path, limit), nil, "")
			var d tsDocument
			res.JSON(t, &d)
			if n := min(limit, len(want)); res.Code != http.StatusOK || !reflect.DeepEqual(d.Products, want[:n]) {
				t.Errorf("limit %d: %d, %d products, want the top %d", limit, res.Code, len(d.Products), n)
			}
			if other, seen := etags[res.Header.Get("ETag")]; seen {
				t.Errorf("limit %d has the ETag of limit %d", limit, other)
			}
			etags[res.Header.Get("ETag")] = limit
		}
		// Any form the strict parser accepts means the same.
		res := e.tsGet(path+"?limit=%33", nil, "")
		var d tsDocument
		res.JSON(t, &d)
		if len(d.Products) != 3 {
			t.Errorf("limit=%%33: %d products, want 3", len(d.Products))
		}
		for _, q := range []string{"limit=0", "limit=101", "limit=-1", "limit=abc", "limit=1.5", "limit=", "limit=99999",
			"limit=1&limit=2", "sort=units", "limit=5&x=1", "%zz"} {
			res := e.tsGet(path+"?"+q, nil, "")
			if res.Code != http.StatusBadRequest || res.ErrorCode(t) != "invalid" {
				t.Errorf("?%s: %d %s, want 400 invalid", q, res.Code, res.Body)
			}
		}
	})

	t.Run("conditional", func(t *testing.T) {
		e := specEnvFor(s.testEnv, t)
		for _, inm := range []string{etag, "W/" + etag, `"nope", ` + etag, "*"} {
			res := e.tsGet(path, map[string]string{"If-None-Match": inm}, "")
			if res.Code != http.StatusNotModified || len(res.Body) != 0 || res.Header.Get("ETag") != etag || res.Header.Get("Cache-Control") == "" {
				t.Errorf("If-None-Match %s: %d, %d bytes, ETag %q, Cache-Control %q; want 304, no body, the ETag and Cache-Control",
					inm, res.Code, len(res.Body), res.Header.Get("ETag"), res.Header.Get("Cache-Control"))
			}
		}
		last := byte('0') // another tag differing in one digit
		if etag[len(etag)-2] == last {
			last = '1'
		}
		for _, inm := range []string{`"nope"`, etag[:len(etag)-2] + string(last) + `"`} {
			if res := e.tsGet(path, map[string]string{"If-None-Match": inm}, ""); res.Code != http.StatusOK || !bytes.Equal(res.Body, first.Body) {
				t.Errorf("If-None-Match %s: %d, want 200 with the document", inm, res.Code)
			}
		}
		if res := e.tsGet(path+"?limit=3", map[string]string{"If-None-Match": etag}, ""); res.Code != http.StatusOK {
			t.Errorf("the ETag of 10 products matched the page of 3: %d", res.Code)
		}
	})

	t.Run("categories without sales or unknown", func(t *testing.T) {
		e := specEnvFor(s.testEnv, t)
		res := e.tsGet(fmt.Sprintf("/api/v1/categories/%d/top-sellers", s.quiet), nil, "")
		var d tsDocument
		res.JSON(t, &d)
		if res.Code != http.StatusOK || d.Products == nil || len(d.Products) != 0 || res.Header.Get("X-Top-Sellers-Source") != "redis" {
			t.Errorf("category without sales: %d from %q: %s, want an empty list from redis", res.Code, res.Header.Get("X-Top-Sellers-Source"), res.Body)
		}
		// Created after the publication: no document, so computed (and empty). A process
		// trusts its set of category ids for up to a second after a miss, so ask a new one.
		fresh, err := e.Store.CreateCategory(context.Background(), store.NewCategory{Name: "Fresh " + randHex(3)})
		if err != nil {
			t.Fatal(err)
		}
		e = tsRestarted(e, t)
		res = e.tsGet(fmt.Sprintf("/api/v1/categories/%d/top-sellers", fresh.ID), nil, "")
		res.JSON(t, &d)
		if res.Code != http.StatusOK || len(d.Products) != 0 || d.CategoryID != fresh.ID || res.Header.Get("X-Top-Sellers-Source") != "postgres" {
			t.Errorf("category created since: %d from %q: %s, want an empty list from postgres", res.Code, res.Header.Get("X-Top-Sellers-Source"), res.Body)
		}
		if res := e.tsGet("/api/v1/categories/987654321/top-sellers", nil, ""); res.Code != http.StatusNotFound || res.ErrorCode(t) != "not_found" {
			t.Errorf("unknown category: %d %s, want 404", res.Code, res.Body)
		}
		if res := e.tsGet("/api/v1/categories/abc/top-sellers", nil, ""); res.Code != http.StatusBadRequest {
			t.Errorf("malformed id: %d %s, want 400", res.Code, res.Body)
		}
	})
}

// Whatever the state of Redis, the endpoint answers: from Postgres when nothing is published
// or Redis is down, with the same ranking the hourly job would publish.
func TestTopSellersFallsBackToPostgres(t *testing.T) {
	t.Parallel()
	s := newTSShop(t, false)
	root := s.shop.Categories[1]
	path := fmt.Sprintf("/api/v1/categories/%d/top-sellers?limit=100", root)

	nothing := s.tsGet(path, nil, "")
	if nothing.Code != http.StatusOK || nothing.Header.Get("X-Top-Sellers-Source") != "postgres" {
		t.Fatalf("nothing published: %d from %q: %s", nothing.Code, nothing.Header.Get("X-Top-Sellers-Source"), nothing.Body)
	}

	s.publish()
	want := s.products(root)
	down := tsDeadRedis(s.testEnv, t)
	for i, source := range []string{"postgres", "cache"} {
		res := down.tsGet(path, nil, "")
		var d tsDocument
		res.JSON(t, &d)
		if res.Code != http.StatusOK || res.Header.Get("X-Top-Sellers-Source") != source || !reflect.DeepEqual(d.Products, want) || !tsSameWindow(d.Window, s.ranking.Window) {
			t.Errorf("read %d with Redis down: %d from %q, %d products (window %+v); want the published %d from %s",
				i+1, res.Code, res.Header.Get("X-Top-Sellers-Source"), len(d.Products), d.Window, len(want), source)
		}
		tsWantCacheControl(t, res, time.Now())
	}
	var before tsDocument
	nothing.JSON(t, &before)
	if !reflect.DeepEqual(before.Products, want) {
		t.Errorf("computed before publication: %d products, published %d: they differ", len(before.Products), len(want))
	}
	if res := down.tsGet("/api/v1/categories/987654321/top-sellers", nil, ""); res.Code != http.StatusNotFound {
		t.Errorf("unknown category with Redis down: %d, want 404", res.Code)
	}
}

// The cached path allocates no more than /healthz: per request, the category's response is
// prepared bytes and header slices, not JSON encoding (the rest is the shared middleware).
// Not parallel: testing.AllocsPerRun counts every goroutine's allocations, so it refuses to.
func TestTopSellersCachedReadsAllocateLikeAHealthCheck(t *testing.T) {
	s := newTSShop(t, true)
	h := s.Server.Handler()
	path := fmt.Sprintf("/api/v1/categories/%d/top-sellers?limit=20", s.shop.Categories[0])
	serve := func(path string) func() {
		r := httptest.NewRequest("GET", path, nil)
		return func() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s: %d", path, w.Code)
			}
		}
	}
	serve(path)() // fill the cache
	topSellers := testing.AllocsPerRun(200, serve(path))
	health := testing.AllocsPerRun(200, serve("/healthz"))
	t.Logf("allocations per request: top sellers %.0f, /healthz %.0f", topSellers, health)
	// The guard is against work per request (encoding the ranking again costs well over 100
	// allocations), not against a stray allocation or two: a cache refill that falls inside
	// the 200 runs under a loaded machine adds a few. Speed itself is bench/topsellers' job.
	if topSellers > health+10 {
		t.Errorf("a cached top-sellers read allocates %.0f times, /healthz %.0f: it does work per request", topSellers, health)
	}
}
