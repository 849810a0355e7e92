package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"shopflow/api"
	"shopflow/config"
	"shopflow/search"
)

type searchView struct {
	Items []struct {
		ID         int64  `json:"id"`
		Name       string `json:"name"`
		PriceCents int64  `json:"price_cents"`
		InStock    bool   `json:"in_stock"`
		CategoryID int64  `json:"category_id"`
	} `json:"items"`
	NextCursor  *string `json:"next_cursor"`
	Total       int     `json:"total"`
	TotalCapped bool    `json:"total_capped"`
	DidYouMean  string  `json:"did_you_mean"`
	Backend     string  `json:"backend"`
	Facets      struct {
		Categories []facetValueView `json:"categories"`
		Attributes []struct {
			Name   string           `json:"name"`
			Values []facetValueView `json:"values"`
		} `json:"attributes"`
		Stock struct {
			InStock    int `json:"in_stock"`
			OutOfStock int `json:"out_of_stock"`
		} `json:"stock"`
	} `json:"facets"`
	TopSellers map[string]any `json:"top_sellers"`
}

type facetValueView struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// attrCount is the count of value in the facet of attribute name, -1 when absent.
func (v searchView) attrCount(name, value string) int {
	for _, a := range v.Facets.Attributes {
		if a.Name != name {
			continue
		}
		for _, fv := range a.Values {
			if fv.Value == value {
				return fv.Count
			}
		}
	}
	return -1
}

func noSearchCache(c *config.Config) { c.SearchCacheTTL = 0 }

// searchShop is a small catalog: TVs of two brands under Electronics, one sold out, and a lamp
// under Home.
type searchShop struct {
	electronics, tvs, home categoryView
	sonyTV, lgTV, soldOut  productView
}

func newSearchShop(e *testEnv) searchShop {
	e.t.Helper()
	admin, seller := e.newAdmin(), e.newSeller()
	var s searchShop
	s.electronics = e.catCategory(admin, "Electronics "+randHex(2), nil)
	s.tvs = e.catCategory(admin, "Televisions "+randHex(2), &s.electronics.ID)
	s.home = e.catCategory(admin, "Home "+randHex(2), nil)
	s.sonyTV = e.catProduct(seller.Token, map[string]any{"category_id": s.tvs.ID, "name": "Sony Bravia television",
		"price_cents": 89900, "attributes": map[string]any{"brand": "Sony", "size": 55}})
	s.lgTV = e.catProduct(seller.Token, map[string]any{"category_id": s.tvs.ID, "name": "LG OLED television",
		"price_cents": 129900, "attributes": map[string]any{"brand": "LG", "size": 65}})
	s.soldOut = e.catProduct(seller.Token, map[string]any{"category_id": s.tvs.ID, "name": "Sony small television",
		"price_cents": 19900, "on_hand": 0, "attributes": map[string]any{"brand": "Sony"}})
	e.catProduct(seller.Token, map[string]any{"category_id": s.home.ID, "name": "Reading lamp",
		"description": "Warm light, pairs with any television room", "price_cents": 2500})
	return s
}

func (e *testEnv) search(query string) searchView {
	e.t.Helper()
	var v searchView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/search?" + query}).JSON(e.t, &v)
	return v
}

func TestSearchFindsFiltersAndCountsFacetsDisjunctively(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noSearchCache)
	s := newSearchShop(e)

	all := e.search("q=television")
	if all.Backend != "postgres" || all.Total != 4 {
		t.Fatalf("q=television: backend %q total %d, want postgres and 4: %+v", all.Backend, all.Total, all.Items)
	}
	// The lamp matches only in its description: last. The sold-out TV sorts after those in stock.
	if last := all.Items[len(all.Items)-1]; last.ID == s.sonyTV.ID || last.ID == s.lgTV.ID {
		t.Fatalf("an in-stock name match ranked last: %+v", all.Items)
	}
	for i, it := range all.Items {
		if !it.InStock && i < len(all.Items)-1 && all.Items[i+1].InStock {
			t.Fatalf("a sold-out product ranks above one in stock: %+v", all.Items)
		}
	}

	sony := e.search("q=television&attr.brand=Sony")
	if sony.Total != 2 {
		t.Fatalf("brand=Sony: total %d, want 2", sony.Total)
	}
	// Disjunctive: the brand facet ignores the brand filter; the stock facet honours it.
	if lg := sony.attrCount("brand", "LG"); lg != 1 {
		t.Fatalf("brand=Sony: facet brand=LG counts %d, want 1 (disjunctive)", lg)
	}
	if sony.Facets.Stock.InStock != 1 || sony.Facets.Stock.OutOfStock != 1 {
		t.Fatalf("brand=Sony: stock facet %+v, want 1 in and 1 out", sony.Facets.Stock)
	}
	both := e.search("q=television&attr.brand=Sony,LG&in_stock=true")
	if both.Total != 2 {
		t.Fatalf("brand=Sony,LG in stock: total %d, want 2", both.Total)
	}

	brief := e.search("query=television&sort=price&filter=category:" + url.QueryEscape(s.electronics.Name))
	if brief.Total != 3 || brief.Items[0].ID != s.sonyTV.ID || brief.Items[1].ID != s.lgTV.ID {
		t.Fatalf("brief form: %+v, want the two TVs in stock by price, then the sold-out one", brief.Items)
	}
	priced := e.search(fmt.Sprintf("q=television&min_price=%d&max_price=%d", 89900, 129900))
	if priced.Total != 2 {
		t.Fatalf("price range (inclusive): total %d, want 2", priced.Total)
	}
}

func TestSearchPagesWithCursorsAndCorrectsTypos(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noSearchCache)
	newSearchShop(e)

	seen := map[int64]bool{}
	q := "q=television&limit=1&sort=price"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("more than 5 pages of 1 for 4 matches")
		}
		v := e.search(q)
		for _, it := range v.Items {
			if seen[it.ID] {
				t.Fatalf("product %d on two pages", it.ID)
			}
			seen[it.ID] = true
		}
		if v.NextCursor == nil {
			break
		}
		q = "q=television&limit=1&sort=price&cursor=" + url.QueryEscape(*v.NextCursor)
	}
	if len(seen) != 4 {
		t.Fatalf("paged through %d products, want 4", len(seen))
	}

	// New words join the typo vocabulary at the hourly refresh; run it now.
	if err := e.app.SearchCatalog.RefreshTerms(context.Background()); err != nil {
		t.Fatal(err)
	}
	typo := e.search("q=televsion")
	if typo.DidYouMean != "television" || typo.Total == 0 {
		t.Fatalf("q=televsion: did_you_mean %q, total %d; want television and hits", typo.DidYouMean, typo.Total)
	}
	var sug struct {
		Items []struct{ Kind, Text string }
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/search/suggest?q=telev"}).JSON(t, &sug)
	if len(sug.Items) == 0 || sug.Items[0].Kind != "product" || !strings.Contains(strings.ToLower(sug.Items[0].Text), "television") {
		t.Fatalf("suggest telev: %+v", sug.Items)
	}
}

func TestSearchAnswersRepeatedQueriesFromTheCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.SearchCacheTTL = time.Minute })
	newSearchShop(e)
	first := e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/search?q=television"})
	second := e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/search?q=television"})
	if first.Header.Get("X-Search-Cache") != "MISS" || second.Header.Get("X-Search-Cache") != "HIT" {
		t.Fatalf("cache headers %q then %q, want MISS then HIT", first.Header.Get("X-Search-Cache"), second.Header.Get("X-Search-Cache"))
	}
	if string(first.Body) != string(second.Body) {
		t.Fatal("the cached answer differs from the computed one")
	}
	// Another API process (nothing in its memory) reads the answer from Redis.
	other := e.rebuilt(t, func(d *api.Deps) {
		d.SearchCache = search.NewCache(time.Minute, e.Redis, e.Config.RedisPrefix, nil)
	})
	third := other.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/search?q=television"})
	if third.Header.Get("X-Search-Cache") != "REDIS" {
		t.Fatalf("a fresh process answered %q, want REDIS", third.Header.Get("X-Search-Cache"))
	}
}

func TestSearchRefusesBadInputWith400(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noSearchCache)
	s := newSearchShop(e)
	thousand := strings.Repeat("filter=brand:x&", 1000)
	manyValues := "attr.brand=" + strings.TrimSuffix(strings.Repeat("v,", 1000), ",")
	cursor := e.search("q=television&limit=1").NextCursor
	if cursor == nil {
		t.Fatal("no cursor to misuse")
	}
	cases := []struct {
		name, query, param string
	}{
		{"huge q", "q=" + strings.Repeat("a", 5000), "q"},
		{"q over 200 characters", "q=" + strings.Repeat("a", 201), "q"},
		{"too many words", "q=" + strings.Repeat("tv+", 13), "q"},
		{"unknown sort", "q=tv&sort=popularity", "sort"},
		{"inverted price range", "min_price=500&max_price=100", "min_price"},
		{"negative price", "min_price=-1", "min_price"},
		{"1,000 filters", thousand, "filter"},
		{"1,000 attribute values", manyValues, "attr.brand"},
		{"bad attribute name", "attr.b%20rand=x", "attr.b rand"},
		{"unknown parameter", "colour=red", "colour"},
		{"repeated q", "q=a&q=b", "q"},
		{"q and query", "q=a&query=b", "query"},
		{"filter without value", "filter=category", "filter"},
		{"unknown category", "filter=category:Nowhere", "filter"},
		{"bad in_stock", "in_stock=maybe", "in_stock"},
		{"rating out of range", "min_rating=6", "min_rating"},
		{"limit too big", "limit=101", "limit"},
		{"bad include", "include=reviews", "include"},
		{"NUL in q", "q=a%00b", "q"},
		{"garbage cursor", "q=television&cursor=xyz", "cursor"},
		{"cursor of another query", "q=lamp&cursor=" + url.QueryEscape(*cursor), "cursor"},
		{"category_id not a number", "category_id=" + fmt.Sprint(s.tvs.ID) + "x", "category_id"},
	}
	for _, c := range cases {
		res := e.do(req{Method: "GET", Path: "/api/v1/search?" + c.query})
		caseWant{status: http.StatusBadRequest, code: "invalid", param: c.param}.check(t, c.name, res)
	}
	for _, q := range []string{"", "q=", "q=" + strings.Repeat("a", 201), "q=a&limit=0"} {
		res := e.do(req{Method: "GET", Path: "/api/v1/search/suggest?" + q})
		if res.Code != http.StatusBadRequest {
			t.Errorf("suggest %q: status %d, want 400: %s", q, res.Code, res.Body)
		}
	}
}

// A shopper who hangs up mid-search is not a server error: the request ends as 499 (what the
// access log shows), not as a logged 500.
func TestSearchAbandonedByTheClientIsNotAnError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noSearchCache)
	newSearchShop(e)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	e.Server.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/search?q=television", nil).WithContext(ctx))
	if rec.Code != 499 {
		t.Fatalf("status %d for a request whose client hung up, want 499: %s", rec.Code, rec.Body)
	}
}
