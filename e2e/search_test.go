package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"shopflow/config"
	"shopflow/store"
)

// freshness is how soon after a change commits a search must show it: with Postgres the answer
// cache (SHOPFLOW_SEARCH_CACHE_TTL, 2 s by default) is the only delay; with Elasticsearch the
// push drain applies the change in about a second.
const freshness = 5 * time.Second

// A product bought to its last unit through a real checkout (API, sandbox card) sinks below
// the products still in stock within 5 s of the sale, or, with SHOPFLOW_SEARCH_HIDE_OUT_OF_STOCK,
// leaves the results: the Postgres backend reads the stock itself, and the answer cache, kept at
// its default here, is the only delay.
func TestSearchPostgresSinksSoldOutProducts(t *testing.T) {
	t.Parallel()
	for _, hide := range []bool{false, true} {
		t.Run(fmt.Sprintf("hide_out_of_stock=%t", hide), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withConfig(func(c *config.Config) { c.SearchHideOutOfStock = hide }))
			stocked := []int64{e.newProduct(5, 1500), e.newProduct(5, 1600)}
			last := e.newProduct(1, 1700) // the newest, so first in a search by newest while in stock
			inCategory := url.Values{"category_id": {fmt.Sprint(e.catalog.category)}}
			if p := e.mustSearch(inCategory); p.Backend != config.SearchPostgres || p.ids() != fmt.Sprint([]int64{last, stocked[1], stocked[0]}) {
				t.Fatalf("before the sale the search answers %+v, want the three products newest first, from postgres", p)
			}

			cust := e.newCustomer()
			o := e.checkout(cust, checkoutOf(cardVisa, line{ProductID: last, Quantity: 1}))
			wantOutcome(t, e.awaitSaga(o.ID), store.OrderPlaced, "")
			sold := time.Now()
			want := []int64{stocked[1], stocked[0], last} // the sold-out product sinks to the end
			if hide {
				want = want[:2]
			}
			var got searchPage
			eventually(t, freshness, func() (bool, error) {
				got = e.mustSearch(inCategory)
				return got.ids() == fmt.Sprint(want) && (hide || !got.Items[2].InStock), nil
			}, func() string {
				return fmt.Sprintf("the search to list %v after the sale, it lists %+v", want, got.Items)
			})
			t.Logf("the search showed the sale %s after the saga ended (X-Search-Cache %s)", time.Since(sold).Round(time.Millisecond), got.cache)
			if got.Total != len(want) || got.Facets.Stock.InStock != 2 {
				t.Errorf("after the sale: total %d, stock facet %+v; want %d in all, 2 in stock", got.Total, got.Facets.Stock, len(want))
			}
		})
	}
}

// A price changed through the API (PATCH) is found by the new price band, and no longer by the
// old one, within 5 s.
func TestSearchPostgresFindsChangedPrice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	repriced, other := e.newProduct(5, 2500), e.newProduct(5, 2600)
	band := func(lo, hi int64) url.Values {
		return url.Values{"category_id": {fmt.Sprint(e.catalog.category)}, "min_price": {fmt.Sprint(lo)}, "max_price": {fmt.Sprint(hi)}}
	}
	if p := e.mustSearch(band(2000, 3000)); p.ids() != fmt.Sprint([]int64{other, repriced}) {
		t.Fatalf("before the change 20.00-30.00 finds %v, want both products", p.ids())
	}
	if p := e.mustSearch(band(6000, 8000)); len(p.Items) != 0 {
		t.Fatalf("before the change 60.00-80.00 finds %v, want nothing", p.ids())
	}

	e.setPrice(e.catalog.seller, repriced, 7000)
	changed := time.Now()
	var high, low searchPage
	eventually(t, freshness, func() (bool, error) {
		high, low = e.mustSearch(band(6000, 8000)), e.mustSearch(band(2000, 3000))
		return high.ids() == fmt.Sprint([]int64{repriced}) && high.Items[0].PriceCents == 7000 &&
			low.ids() == fmt.Sprint([]int64{other}), nil
	}, func() string {
		return fmt.Sprintf("60.00-80.00 to find only product %d at 7000 (finds %+v) and 20.00-30.00 only %d (finds %v)",
			repriced, high.Items, other, low.ids())
	})
	t.Logf("the new price was found %s after the change", time.Since(changed).Round(time.Millisecond))
}

// searchPage is the part of GET /api/v1/search's answer the tests read.
type searchPage struct {
	Items []struct {
		ID         int64 `json:"id"`
		PriceCents int64 `json:"price_cents"`
		InStock    bool  `json:"in_stock"`
	} `json:"items"`
	Total  int `json:"total"`
	Facets struct {
		Stock struct {
			InStock    int `json:"in_stock"`
			OutOfStock int `json:"out_of_stock"`
		} `json:"stock"`
	} `json:"facets"`
	Backend string `json:"backend"`
	cache   string // X-Search-Cache
}

// ids lists the hits' product ids in order, formatted for comparing and messages.
func (p searchPage) ids() string {
	ids := make([]int64, len(p.Items))
	for i, it := range p.Items {
		ids[i] = it.ID
	}
	return fmt.Sprint(ids)
}

// search sends GET /api/v1/search anonymously, as shoppers do. It never fails the test, so
// goroutines may use it; a non-200 answer comes back with its body as the error.
func (e *env) search(query url.Values) (int, searchPage, error) {
	code, a, err := e.sendRaw(request{method: "GET", path: "/api/v1/search?" + query.Encode()})
	if err != nil {
		return 0, searchPage{}, err
	}
	if code != http.StatusOK {
		return code, searchPage{}, fmt.Errorf("GET /api/v1/search?%s: status %d: %s", query.Encode(), code, a.body)
	}
	var p searchPage
	if err := json.Unmarshal(a.body, &p); err != nil {
		return code, p, fmt.Errorf("GET /api/v1/search?%s: answer is not a search page (%v): %s", query.Encode(), err, a.body)
	}
	p.cache = a.header.Get("X-Search-Cache")
	return code, p, nil
}

// mustSearch is search that fails the test unless the answer is a 200 page.
func (e *env) mustSearch(query url.Values) searchPage {
	e.t.Helper()
	_, p, err := e.search(query)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// setPrice changes a product's price through the API as who (its seller or an admin).
func (e *env) setPrice(who account, product, cents int64) {
	e.t.Helper()
	e.mustSend(request{method: "PATCH", path: fmt.Sprintf("/api/v1/products/%d", product), token: who.Token,
		body: map[string]int64{"price_cents": cents}}, nil, http.StatusOK)
}
