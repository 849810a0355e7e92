package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/redis/go-redis/v9"

	"shopflow/api"
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

func TestSellerRanks(t *testing.T) {
	t.Parallel()
	s := newTSShop(t, false)
	ctx := context.Background()
	active, quiet, customer, admin := s.newSeller(), s.newSeller(), s.newCustomer(), s.newAdmin()
	// The active seller sells the most units of all, in one leaf category.
	leaf := s.shop.Categories[len(s.shop.Categories)-1]
	var product int64
	if err := s.Store.Pool.QueryRow(ctx, `INSERT INTO products (seller_id, category_id, name, price_cents, currency)
		VALUES ($1, $2, 'Bestseller', 250, 'EUR') RETURNING id`, *active.SellerID, leaf).Scan(&product); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store.RecordSales(ctx, []store.SaleLine{{Source: "apitest", ExternalOrderID: "big", LineNo: 1,
		OrderedAt: time.Now().UTC().Truncate(time.Hour).Add(-3 * time.Hour), ProductID: product, Quantity: 10000, UnitPriceCents: 250, Currency: "EUR"}}); err != nil {
		t.Fatal(err)
	}
	s.publish()
	ranked := s.ranking.RankedSellers
	var parent int64
	if err := s.Store.Pool.QueryRow(ctx, `SELECT parent_id FROM categories WHERE id = $1`, leaf).Scan(&parent); err != nil {
		t.Fatal(err)
	}

	type rank struct {
		SellerID    string                     `json:"seller_id"`
		Window      ranking.Window             `json:"window"`
		GeneratedAt time.Time                  `json:"generated_at"`
		Overall     ranking.OverallStanding    `json:"overall"`
		Categories  []ranking.CategoryStanding `json:"categories"`
	}
	check := func(e *testEnv, path, token, source string, wantRank int, seller string) {
		t.Helper()
		res := e.tsGet(path, nil, token)
		if res.Code != http.StatusOK || res.Header.Get("X-Top-Sellers-Source") != source {
			t.Fatalf("GET %s: %d from %q: %s", path, res.Code, res.Header.Get("X-Top-Sellers-Source"), res.Body)
		}
		var r rank
		res.JSON(t, &r)
		if r.SellerID != seller || r.Overall.Of != ranked || !tsSameWindow(r.Window, s.ranking.Window) {
			t.Errorf("GET %s: %s", path, res.Body)
		}
		if wantRank == 0 {
			if r.Overall.Rank != nil || r.Overall.Currency != nil || r.Categories == nil || len(r.Categories) != 0 || r.Overall.Units != 0 {
				t.Errorf("GET %s: %s, want rank null and no categories for a seller without sales", path, res.Body)
			}
			return
		}
		if r.Overall.Rank == nil || *r.Overall.Rank != wantRank || r.Overall.Units != 10000 || r.Overall.RevenueCents != 2_500_000 ||
			r.Overall.Currency == nil || *r.Overall.Currency != "EUR" {
			t.Errorf("GET %s: overall %+v, want rank %d, 10000 units, 2500000 EUR", path, r.Overall, wantRank)
		}
		cats := map[int64]int{}
		for _, c := range r.Categories {
			cats[c.CategoryID] = c.Rank
		}
		if len(cats) != 2 || cats[leaf] != 1 || cats[parent] != 1 {
			t.Errorf("GET %s: categories %+v, want first in its leaf %d and in its parent %d", path, r.Categories, leaf, parent)
		}
	}
	check(s.testEnv, "/api/v1/sellers/me/rank", active.Token, "redis", 1, *active.SellerID)
	check(s.testEnv, "/api/v1/sellers/"+*active.SellerID+"/rank", admin.Token, "redis", 1, *active.SellerID)
	check(s.testEnv, "/api/v1/sellers/me/rank", quiet.Token, "redis", 0, *quiet.SellerID)
	check(s.testEnv, "/api/v1/sellers/"+strings.ToUpper(*quiet.SellerID)+"/rank", admin.Token, "redis", 0, *quiet.SellerID)

	down := tsDeadRedis(s.testEnv, t)
	check(down, "/api/v1/sellers/me/rank", active.Token, "postgres", 1, *active.SellerID)
	check(down, "/api/v1/sellers/"+*quiet.SellerID+"/rank", admin.Token, "postgres", 0, *quiet.SellerID)

	for _, e := range []*testEnv{s.testEnv, down} {
		for _, c := range []struct {
			name, path, token string
			want              int
		}{
			{"unknown seller", "/api/v1/sellers/00000000-0000-4000-8000-000000000001/rank", admin.Token, http.StatusNotFound},
			{"malformed id", "/api/v1/sellers/not-a-uuid/rank", admin.Token, http.StatusBadRequest},
			{"anonymous, own", "/api/v1/sellers/me/rank", "", http.StatusUnauthorized},
			{"anonymous, any", "/api/v1/sellers/" + *active.SellerID + "/rank", "", http.StatusUnauthorized},
			{"customer, own", "/api/v1/sellers/me/rank", customer.Token, http.StatusForbidden},
			{"admin, own", "/api/v1/sellers/me/rank", admin.Token, http.StatusForbidden},
			{"customer, any", "/api/v1/sellers/" + *active.SellerID + "/rank", customer.Token, http.StatusForbidden},
			{"seller, another", "/api/v1/sellers/" + *quiet.SellerID + "/rank", active.Token, http.StatusForbidden},
			{"seller, itself by id", "/api/v1/sellers/" + *active.SellerID + "/rank", active.Token, http.StatusForbidden},
		} {
			if res := e.tsGet(c.path, nil, c.token); res.Code != c.want {
				t.Errorf("%s: %d %s, want %d", c.name, res.Code, res.Body, c.want)
			}
		}
	}
}

// fakeJobs stands in for workflows.Jobs.
type fakeJobs struct {
	mu    sync.Mutex
	calls int
	err   error
}

func (f *fakeJobs) TriggerTopSellers(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return "", f.err
	}
	return "topsellers-2026-11-21T09", nil
}

func TestRunTopSellersJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jobs := &fakeJobs{}
	with := tsWithJobs(e, t, jobs)
	admin, seller, customer := e.newAdmin(), e.newSeller(), e.newCustomer()
	post := func(e *testEnv, token string) response {
		res := e.do(req{Method: "POST", Path: "/api/v1/admin/jobs/top-sellers", Token: token})
		tsValidate(t, "POST", "/api/v1/admin/jobs/top-sellers", res)
		return res
	}

	res := post(with, admin.Token)
	var started struct {
		WorkflowID string `json:"workflow_id"`
	}
	res.JSON(t, &started)
	if res.Code != http.StatusAccepted || started.WorkflowID != "topsellers-2026-11-21T09" || jobs.calls != 1 {
		t.Errorf("admin: %d %s after %d calls, want 202 with the workflow id", res.Code, res.Body, jobs.calls)
	}
	for _, c := range []struct {
		name, token string
		want        int
	}{{"anonymous", "", 401}, {"customer", customer.Token, 403}, {"seller", seller.Token, 403}} {
		if res := post(with, c.token); res.Code != c.want {
			t.Errorf("%s: %d, want %d", c.name, res.Code, c.want)
		}
	}
	if jobs.calls != 1 {
		t.Errorf("the job was started %d times, want only by the admin", jobs.calls)
	}
	jobs.err = errors.New("temporal: connection refused")
	if res := post(with, admin.Token); res.Code != http.StatusServiceUnavailable || res.ErrorCode(t) != "unavailable" || strings.Contains(string(res.Body), "refused") {
		t.Errorf("Temporal down: %d %s, want 503 without the cause", res.Code, res.Body)
	}
	if res := post(e, admin.Token); res.Code != http.StatusServiceUnavailable {
		t.Errorf("no Jobs configured: %d, want 503", res.Code)
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

// tsSameWindow says whether a window computed now is the published one, or the next (the
// hour turned in between; the seeded sales are in both).
func tsSameWindow(got, published ranking.Window) bool {
	return got == published || got == ranking.Window{From: published.From.Add(time.Hour), To: published.To.Add(time.Hour)}
}

// tsWantCacheControl checks the public Cache-Control: until a minute after the next refresh
// at minute 1 of the hour.
func tsWantCacheControl(t *testing.T, res response, now time.Time) {
	t.Helper()
	cc := res.Header.Get("Cache-Control")
	age, err := strconv.Atoi(strings.TrimPrefix(cc, "public, max-age="))
	next := now.Truncate(time.Hour).Add(time.Minute)
	if !now.Before(next) {
		next = next.Add(time.Hour)
	}
	want := int(next.Add(time.Minute).Sub(now) / time.Second)
	if err != nil || age < want-2 || age > want+2 || age < 60 || age > 3720 {
		t.Errorf("Cache-Control %q, want public, max-age=%d (about)", cc, want)
	}
}

// tsRestarted is e's API as a new process would serve it: nothing cached.
func tsRestarted(e *testEnv, t testing.TB) *testEnv {
	t.Helper()
	return e.rebuilt(t, func(*api.Deps) {})
}

// tsDeadRedis is e's API with Redis unreachable.
func tsDeadRedis(e *testEnv, t testing.TB) *testEnv {
	t.Helper()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 300 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })
	return e.rebuilt(t, func(d *api.Deps) { d.Redis = dead })
}

// tsWithJobs is e's API with jobs behind POST /admin/jobs/top-sellers.
func tsWithJobs(e *testEnv, t testing.TB, jobs api.Jobs) *testEnv {
	t.Helper()
	return e.rebuilt(t, func(d *api.Deps) { d.Jobs = jobs })
}

// tsSpec is api/openapi.yaml with this feature's additions (docs/openapi/topsellers.yaml)
// merged in as the lead merges them, unless they already are.
var tsSpec struct {
	once   sync.Once
	router routers.Router
	err    error
}

func tsRouter() (routers.Router, error) {
	tsSpec.once.Do(func() {
		merged := string(api.OpenAPISpec)
		if !strings.Contains(merged, "/api/v1/categories/{id}/top-sellers:") {
			add, err := os.ReadFile("../docs/openapi/topsellers.yaml")
			if err != nil {
				tsSpec.err = err
				return
			}
			paths, schemas, ok := strings.Cut(string(add), "\nschemas:\n")
			_, paths, found := strings.Cut(paths, "\npaths:\n")
			if !ok || !found {
				tsSpec.err = errors.New("docs/openapi/topsellers.yaml: want top-level paths: then schemas:")
				return
			}
			before, after, ok := strings.Cut(merged, "\ncomponents:\n")
			if !ok {
				tsSpec.err = errors.New("api/openapi.yaml: no components:")
				return
			}
			merged = before + "\n" + paths + "\ncomponents:\n" + strings.TrimRight(after, "\n") + "\n" + schemas
		}
		doc, err := openapi3.NewLoader().LoadFromData([]byte(merged))
		if err == nil {
			err = doc.Validate(context.Background())
		}
		if err != nil {
			tsSpec.err = fmt.Errorf("api/openapi.yaml + docs/openapi/topsellers.yaml: %w", err)
			return
		}
		doc.Servers = nil
		tsSpec.router, tsSpec.err = gorillamux.NewRouter(doc)
	})
	return tsSpec.router, tsSpec.err
}

// tsValidate checks a response of this feature's routes against the merged document.
func tsValidate(t testing.TB, method, path string, res response) {
	t.Helper()
	router, err := tsRouter()
	if err != nil {
		t.Fatal(err)
	}
	hr := httptest.NewRequest(method, "http://localhost"+path, nil)
	route, params, err := router.FindRoute(hr)
	if err != nil {
		t.Fatalf("%s %s: not in the merged document: %v", method, path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status:  res.Code,
		Header:  res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(res.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s -> %d does not match the merged document: %v\nbody: %s", method, path, res.Code, err, truncate(res.Body))
	}
	if res.Code == http.StatusOK && strings.Contains(path, "/top-sellers") {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(res.Body, &probe); err != nil || len(probe) != 4 {
			t.Errorf("%s: body is not the four-field document: %s", path, truncate(res.Body))
		}
	}
}
