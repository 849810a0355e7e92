package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"shopflow/api"
	"shopflow/ranking"
	"shopflow/recommend"
	"shopflow/store"
)

// Helpers here are prefixed rc, to stay clear of other test files' names.

// rcShop is a shop of ten products whose top sellers are published and whose "also bought"
// lists are written to Redis in recommend/document.go's layout, as the Schedule writes them:
//
//	category a (root) > a1: p[0..5] in a1, p[6], p[7] in a; category b (root): p[8], p[9]
//	top sellers: a1 p3 p4 p5; a p3 p4 p6 p5; b p8 p9 (units 30 20 15 10 / 25 5)
//	lists: p0 -> p1 (0.9), p2 (0.5); p8 -> p9 (0.8), p0 (0.3)
type rcShop struct {
	*testEnv
	seller account
	a, a1  int64
	b      int64
	p      [10]int64
}

func newRCShop(t *testing.T) *rcShop {
	t.Helper()
	e := newEnv(t)
	s := &rcShop{testEnv: e, seller: e.newSeller()}
	ctx := context.Background()
	s.a = s.rcCategory("a", nil)
	s.a1 = s.rcCategory("a1", &s.a)
	s.b = s.rcCategory("b", nil)
	for i := range s.p {
		cat := s.a1
		switch {
		case i >= 8:
			cat = s.b
		case i >= 6:
			cat = s.a
		}
		if err := e.Store.Pool.QueryRow(ctx, `INSERT INTO products (seller_id, category_id, name, price_cents, currency)
			VALUES ($1, $2, $3, $4, 'USD') RETURNING id`, *s.seller.SellerID, cat, fmt.Sprintf("Product %d", i), 100+i).Scan(&s.p[i]); err != nil {
			t.Fatal(err)
		}
		e.exec(`INSERT INTO inventory (product_id, on_hand) VALUES ($1, 10)`, s.p[i])
	}
	p := s.p
	top := func(cat int64, ids ...int64) ranking.CategoryRanking {
		units := map[int64]int64{p[3]: 30, p[8]: 25, p[4]: 20, p[6]: 15, p[5]: 10, p[9]: 5}
		cr := ranking.CategoryRanking{CategoryID: cat}
		for i, id := range ids {
			cr.Products = append(cr.Products, ranking.Product{Rank: i + 1, ProductID: id, Name: "x", Units: units[id], Currency: "USD"})
		}
		return cr
	}
	now := time.Now()
	if _, err := ranking.Publish(ctx, e.Redis, e.Config.RedisPrefix, ranking.Ranking{
		Window: ranking.WindowEnding(now, e.Config.TopSellersWindow), GeneratedAt: now,
		Categories: []ranking.CategoryRanking{top(s.a1, p[3], p[4], p[5]), top(s.a, p[3], p[4], p[6], p[5]), top(s.b, p[8], p[9])},
	}); err != nil {
		t.Fatal(err)
	}
	s.rcList(p[0], recommend.Item{ProductID: p[1], Score: 0.9, Support: 5}, recommend.Item{ProductID: p[2], Score: 0.5, Support: 4})
	s.rcList(p[8], recommend.Item{ProductID: p[9], Score: 0.8, Support: 6}, recommend.Item{ProductID: p[0], Score: 0.3, Support: 3})
	return s
}

func (s *rcShop) rcCategory(name string, parent *int64) int64 {
	s.t.Helper()
	c, err := s.Store.CreateCategory(context.Background(), store.NewCategory{Name: name + " " + randHex(3), ParentID: parent})
	if err != nil {
		s.t.Fatal(err)
	}
	return c.ID
}

// rcList publishes a product's list as the recommendations Schedule does.
func (s *rcShop) rcList(productID int64, items ...recommend.Item) {
	s.t.Helper()
	raw, err := json.Marshal(recommend.AlsoBought{ProductID: productID, GeneratedAt: time.Now().UTC(), WindowDays: 90, Items: items})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.Redis.Set(context.Background(), recommend.AlsoBoughtKey(s.Config.RedisPrefix, productID), raw, 0).Err(); err != nil {
		s.t.Fatal(err)
	}
}

// rcFresh is s's API with an availability view reread on every request, so a test sees a
// product leave as soon as it is archived or sold out, rather than within the default
// recommend.DefaultFreshness (whose bound the recommend package's tests prove).
func (s *rcShop) rcFresh(t *testing.T) *rcShop {
	t.Helper()
	c := *s
	c.testEnv = s.rebuilt(t, func(d *api.Deps) {
		d.Recommendations = recommend.NewCache(recommend.Deps{
			Lists:      recommend.Reader{Redis: s.Redis, Prefix: s.Config.RedisPrefix},
			Catalog:    s.Store,
			TopSellers: recommend.RankingTopSellers{Ranks: ranking.NewCache(s.Config, s.Redis, s.Store.Pool, nil)},
			TTL:        time.Minute, Freshness: time.Nanosecond,
		})
	})
	return &c
}

type rcItem struct {
	ProductID  int64    `json:"product_id"`
	Name       string   `json:"name"`
	CategoryID int64    `json:"category_id"`
	SellerID   string   `json:"seller_id"`
	StoreName  string   `json:"store_name"`
	PriceCents int64    `json:"price_cents"`
	Currency   string   `json:"currency"`
	Reason     string   `json:"reason"`
	Score      *float64 `json:"score"`
	Support    *int64   `json:"support"`
}

type rcBody struct {
	ProductID *int64   `json:"product_id"`
	Items     []rcItem `json:"items"`
}

// rcGet GETs path and returns the products served, in order, failing unless it is a 200.
func (s *rcShop) rcGet(path, token string) ([]int64, rcBody, response) {
	s.t.Helper()
	res := s.mustDo(http.StatusOK, req{Method: "GET", Path: path, Token: token})
	var b rcBody
	res.JSON(s.t, &b)
	ids := []int64{}
	for _, it := range b.Items {
		ids = append(ids, it.ProductID)
	}
	return ids, b, res
}

func (s *rcShop) productPath(i int) string {
	return fmt.Sprintf("/api/v1/products/%d/recommendations", s.p[i])
}

func TestRecommendationsOfAProduct(t *testing.T) {
	t.Parallel()
	s := newRCShop(t)
	p := s.p

	ids, body, res := s.rcGet(s.productPath(0), "")
	// The list in its order, then a1's top sellers, then the shop's (roots a and b by units).
	want := []int64{p[1], p[2], p[3], p[4], p[5], p[8], p[6], p[9]}
	if !reflect.DeepEqual(ids, want) || body.ProductID == nil || *body.ProductID != p[0] {
		t.Fatalf("served %v for product %v, want %v", ids, body.ProductID, want)
	}
	reasons := []string{"also_bought", "also_bought", "category_top_seller", "category_top_seller", "category_top_seller", "popular", "popular", "popular"}
	for i, it := range body.Items {
		if it.Reason != reasons[i] {
			t.Errorf("item %d: reason %q, want %q", i, it.Reason, reasons[i])
		}
	}
	first := body.Items[0]
	if first.Name != "Product 1" || first.PriceCents != 101 || first.Currency != "USD" || first.CategoryID != s.a1 ||
		first.SellerID != *s.seller.SellerID || first.StoreName == "" || first.Score == nil || *first.Score != 0.9 || *first.Support != 5 {
		t.Errorf("first item not hydrated from the catalog and the list: %+v", first)
	}
	if body.Items[2].Score != nil {
		t.Errorf("a top seller has a score: %+v", body.Items[2])
	}
	etag := res.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || len(etag) != 34 || res.Header.Get("Content-Length") != strconv.Itoa(len(res.Body)) ||
		res.Header.Get("Cache-Control") != "public, max-age=5" || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("headers %v", res.Header)
	}
	if r := s.do(req{Method: "GET", Path: s.productPath(0), Header: map[string]string{"If-None-Match": etag}}); r.Code != http.StatusNotModified || len(r.Body) != 0 {
		t.Errorf("If-None-Match with the ETag: %d %s", r.Code, r.Body)
	}

	t.Run("limit", func(t *testing.T) {
		s := &rcShop{testEnv: specEnvFor(s.testEnv, t), p: p}
		if ids, _, _ := s.rcGet(s.productPath(0)+"?limit=2", ""); !reflect.DeepEqual(ids, []int64{p[1], p[2]}) {
			t.Errorf("limit 2: %v", ids)
		}
		if ids, _, _ := s.rcGet(s.productPath(0)+"?limit=50", ""); !reflect.DeepEqual(ids, want) {
			t.Errorf("limit 50: %v", ids)
		}
	})
	t.Run("no list: the category's top sellers, then the shop's", func(t *testing.T) {
		s := &rcShop{testEnv: specEnvFor(s.testEnv, t), p: p}
		if ids, _, _ := s.rcGet(s.productPath(7), ""); !reflect.DeepEqual(ids, []int64{p[3], p[4], p[6], p[5], p[8], p[9]}) {
			t.Errorf("product 7: %v", ids)
		}
		// A product never recommends itself: p3 tops its own category.
		if ids, _, _ := s.rcGet(s.productPath(3)+"?limit=3", ""); !reflect.DeepEqual(ids, []int64{p[4], p[5], p[8]}) {
			t.Errorf("product 3: %v", ids)
		}
	})
}

func TestRecommendationsNeverShowUnavailableProducts(t *testing.T) {
	t.Parallel()
	s := newRCShop(t).rcFresh(t)
	p := s.p
	cust := s.newCustomer()
	if ids, _, _ := s.rcGet(s.productPath(0), ""); !reflect.DeepEqual(ids[:3], []int64{p[1], p[2], p[3]}) {
		t.Fatalf("before: %v", ids)
	}
	// After the lists and the ranking were published: p1 archived by its seller, p2 sold out,
	// p3 fully reserved, p8 back to draft.
	s.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/products/%d", p[1]), Token: s.seller.Token})
	s.mustDo(http.StatusOK, req{Method: "PUT", Path: fmt.Sprintf("/api/v1/products/%d/inventory", p[2]), Token: s.seller.Token,
		Body: map[string]any{"on_hand": 0}})
	s.exec(`UPDATE inventory SET reserved = on_hand WHERE product_id = $1`, p[3])
	s.exec(`UPDATE products SET status = 'draft' WHERE id = $1`, p[8])
	gone := map[int64]bool{p[1]: true, p[2]: true, p[3]: true, p[8]: true}
	for _, path := range []string{s.productPath(0), s.productPath(7), "/api/v1/users/me/recommendations"} {
		ids, _, _ := s.rcGet(path+"?limit=50", cust.Token)
		for _, id := range ids {
			if gone[id] {
				t.Errorf("%s still recommends unavailable product %d: %v", path, id, ids)
			}
		}
		if len(ids) == 0 {
			t.Errorf("%s recommends nothing", path)
		}
	}
	if ids, _, _ := s.rcGet(s.productPath(0)+"?limit=3", ""); !reflect.DeepEqual(ids, []int64{p[4], p[5], p[6]}) {
		t.Errorf("product 0 after: %v, want the next available ones", ids)
	}
	// Restocked: back at once.
	s.exec(`UPDATE inventory SET on_hand = 5 WHERE product_id = $1`, p[2])
	if ids, _, _ := s.rcGet(s.productPath(0)+"?limit=1", ""); !reflect.DeepEqual(ids, []int64{p[2]}) {
		t.Errorf("restocked p2: %v", ids)
	}
	// An archived product has no recommendations of its own.
	if res := s.do(req{Method: "GET", Path: s.productPath(1)}); res.Code != http.StatusNotFound {
		t.Errorf("archived product: %d %s", res.Code, res.Body)
	}
}

func TestRecommendationsOfACustomer(t *testing.T) {
	t.Parallel()
	s := newRCShop(t)
	p := s.p
	cust := s.newCustomer()
	placed := s.checkoutOrder(cust, coItem(p[0], 1))
	s.placeOrder(placed.ID)
	s.checkoutOrder(cust, coItem(p[2], 1)) // pending: not a purchase
	s.mustDo(http.StatusOK, req{Method: "PUT", Path: fmt.Sprintf("/api/v1/wishlist/items/%d", p[8]), Token: cust.Token})

	ids, body, res := s.rcGet("/api/v1/users/me/recommendations", cust.Token)
	// From p0's list (bought: weight 1) and p8's (wishlisted: 1): p1 0.9, p9 0.8, p2 0.5;
	// p0 is bought so never shown. Then the categories shopped (a1, b: one product each, by
	// id): p3 p4 p5, p8; then the shop's: p6.
	want := []int64{p[1], p[9], p[2], p[3], p[4], p[5], p[8], p[6]}
	if !reflect.DeepEqual(ids, want) || body.ProductID != nil {
		t.Errorf("served %v, want %v", ids, want)
	}
	if body.Items[1].Reason != "also_bought" || body.Items[3].Reason != "category_top_seller" || body.Items[7].Reason != "popular" {
		t.Errorf("reasons: %+v", body.Items)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "private, max-age=5" {
		t.Errorf("Cache-Control %q", cc)
	}

	t.Run("a customer with no history gets the shop's top sellers", func(t *testing.T) {
		s := &rcShop{testEnv: specEnvFor(s.testEnv, t), p: p}
		other := s.newCustomer()
		if ids, _, _ := s.rcGet("/api/v1/users/me/recommendations?limit=3", other.Token); !reflect.DeepEqual(ids, []int64{p[3], p[8], p[4]}) {
			t.Errorf("served %v", ids)
		}
	})
}

func TestRecommendationsRefuseBadRequests(t *testing.T) {
	t.Parallel()
	s := newRCShop(t)
	cust, seller, admin := s.newCustomer(), s.seller, s.newAdmin()
	draft := s.p[5]
	s.exec(`UPDATE products SET status = 'draft' WHERE id = $1`, draft)
	mine := "/api/v1/users/me/recommendations"
	for _, tc := range []struct {
		name, path, token string
		status            int
		code, parameter   string
	}{
		{"unknown product", "/api/v1/products/999999999/recommendations", "", 404, "not_found", ""},
		{"draft product", fmt.Sprintf("/api/v1/products/%d/recommendations", draft), "", 404, "not_found", ""},
		{"id not a number", "/api/v1/products/abc/recommendations", "", 400, "invalid", "id"},
		{"id zero", "/api/v1/products/0/recommendations", "", 400, "invalid", "id"},
		{"limit zero", s.productPath(0) + "?limit=0", "", 400, "invalid", "limit"},
		{"limit above 50", s.productPath(0) + "?limit=51", "", 400, "invalid", "limit"},
		{"limit not a number", s.productPath(0) + "?limit=ten", "", 400, "invalid", "limit"},
		{"limit twice", s.productPath(0) + "?limit=1&limit=2", "", 400, "invalid", "limit"},
		{"unknown parameter", s.productPath(0) + "?sort=new", "", 400, "invalid", "sort"},
		{"customer limit", mine + "?limit=-1", cust.Token, 400, "invalid", "limit"},
		{"anonymous", mine, "", 401, "unauthorized", ""},
		{"seller", mine, seller.Token, 403, "forbidden", ""},
		{"admin", mine, admin.Token, 403, "forbidden", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := specEnvFor(s.testEnv, t)
			res := e.do(req{Method: "GET", Path: tc.path, Token: tc.token})
			var b api.ErrorBody
			res.JSON(t, &b)
			if res.Code != tc.status || string(b.Error.Code) != tc.code || b.Error.Message == "" {
				t.Fatalf("%d %s, want %d %s", res.Code, res.Body, tc.status, tc.code)
			}
			if tc.parameter != "" && b.Error.Details["parameter"] != tc.parameter {
				t.Errorf("details %v, want parameter %s", b.Error.Details, tc.parameter)
			}
		})
	}
}
