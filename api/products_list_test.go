package api_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func productNames(items []productView) []string {
	var names []string
	for _, p := range items {
		names = append(names, p.Name)
	}
	return names
}

// listAll pages through /products with query (no cursor, no limit) at limit per page and
// returns every item, failing on a repeated id.
func (e *testEnv) listAll(t *testing.T, query string, limit int) []productView {
	t.Helper()
	var all []productView
	seen := map[int64]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("%s: more than 100 pages", query)
		}
		v := url.Values{}
		if query != "" {
			var err error
			if v, err = url.ParseQuery(query); err != nil {
				t.Fatal(err)
			}
		}
		v.Set("limit", fmt.Sprint(limit))
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		var page productPageView
		e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/products?" + v.Encode()}).JSON(t, &page)
		if len(page.Items) > limit {
			t.Fatalf("%s: page of %d items, limit %d", query, len(page.Items), limit)
		}
		for _, p := range page.Items {
			if seen[p.ID] {
				t.Fatalf("%s: product %d on two pages", query, p.ID)
			}
			seen[p.ID] = true
		}
		all = append(all, page.Items...)
		if page.NextCursor == nil {
			return all
		}
		if len(page.Items) != limit {
			t.Fatalf("%s: short page of %d with a next_cursor", query, len(page.Items))
		}
		cursor = *page.NextCursor
	}
}

func TestListProductFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, s1, s2 := e.newAdmin(), e.newSeller(), e.newSeller()
	electronics := e.catCategory(admin, "Electronics", nil)
	phones := e.catCategory(admin, "Phones", &electronics.ID)
	android := e.catCategory(admin, "Android", &phones.ID)
	books := e.catCategory(admin, "Books", nil)

	mk := func(seller account, cat categoryView, name, desc string, price, onHand int) productView {
		return e.catProduct(seller.Token, map[string]any{"category_id": cat.ID, "name": name, "description": desc,
			"price_cents": price, "on_hand": onHand})
	}
	mk(s1, electronics, "Wireless charger", "Qi pad", 2500, 3)
	mk(s1, phones, "Phone case", "Silicone case for phones", 1500, 0)
	reserved := mk(s2, android, "Pixel phone", "Android phone with wireless charging", 69900, 2)
	e.catReserve(reserved.ID, 2) // all of it held by checkouts: not in stock
	mk(s2, books, "Go in Action", "A book about Go", 3999, 10)
	mk(s2, books, "Noise cancelling guide", "Headphones explained, noise cancelling too", 1500, 1)
	e.catProduct(s1.Token, map[string]any{"category_id": phones.ID, "name": "Draft phone", "status": "draft"})

	for _, tc := range []struct {
		name  string
		query string
		want  []string
	}{
		{"everything active", "", []string{"Go in Action", "Noise cancelling guide", "Phone case", "Pixel phone", "Wireless charger"}},
		{"category includes its descendants", fmt.Sprintf("category_id=%d", electronics.ID), []string{"Phone case", "Pixel phone", "Wireless charger"}},
		{"subcategory includes its children", fmt.Sprintf("category_id=%d", phones.ID), []string{"Phone case", "Pixel phone"}},
		{"leaf category", fmt.Sprintf("category_id=%d", android.ID), []string{"Pixel phone"}},
		{"unknown category is empty", fmt.Sprintf("category_id=%d", books.ID+1000), nil},
		{"seller", "seller_id=" + *s1.SellerID, []string{"Phone case", "Wireless charger"}},
		{"min_price inclusive", "min_price=3999", []string{"Go in Action", "Pixel phone"}},
		{"max_price inclusive", "max_price=1500", []string{"Noise cancelling guide", "Phone case"}},
		{"price range", "min_price=1501&max_price=3999", []string{"Go in Action", "Wireless charger"}},
		{"min equals max", "min_price=2500&max_price=2500", []string{"Wireless charger"}},
		{"in stock counts reservations", "in_stock=true", []string{"Go in Action", "Noise cancelling guide", "Wireless charger"}},
		{"out of stock", "in_stock=false", []string{"Phone case", "Pixel phone"}},
		{"full-text search in name and description", "q=wireless", []string{"Pixel phone", "Wireless charger"}},
		{"full-text search phrase", "q=" + url.QueryEscape(`"noise cancelling"`), []string{"Noise cancelling guide"}},
		{"full-text search exclusion", "q=" + url.QueryEscape("phone -case"), []string{"Pixel phone"}},
		{"filters combine", fmt.Sprintf("category_id=%d&in_stock=false&seller_id=%s", electronics.ID, *s2.SellerID), []string{"Pixel phone"}},
	} {
		got := productNames(e.listAll(t, tc.query, 2))
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s (%s): %v, want %v", tc.name, tc.query, got, tc.want)
		}
	}

	var p productView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: productPath(reserved.ID)}).JSON(t, &p)
	if p.Stock.Available != 0 || p.Stock.InStock {
		t.Errorf("fully reserved product shows stock %+v", p.Stock)
	}
}

// TestListProductsSortAndPagination pages through every sort at a small page size and checks
// the order, ties broken by id, with no duplicate and no gap.
func TestListProductsSortAndPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller := e.newAdmin(), e.newSeller()
	cat := e.catCategory(admin, "Toys", nil)
	var all []productView
	for i, spec := range []struct {
		name  string
		price int
	}{{"delta", 500}, {"alpha", 100}, {"charlie", 500}, {"bravo", 300}, {"alpha", 100}, {"echo", 900}, {"bravo", 300}} {
		p := e.catProduct(seller.Token, map[string]any{"category_id": cat.ID, "name": spec.name, "price_cents": spec.price})
		if i == 3 {
			// Two products created in one instant must still page in a stable order.
			if _, err := e.Store.Pool.Exec(context.Background(), `UPDATE products SET created_at = (SELECT created_at FROM products WHERE id = $1) WHERE id = $2`, all[2].ID, p.ID); err != nil {
				t.Fatal(err)
			}
			e.mustDo(http.StatusOK, req{Method: "GET", Path: productPath(p.ID)}).JSON(t, &p)
		}
		all = append(all, p)
	}

	byKey := map[string]func(a, b productView) int{
		"created_at": func(a, b productView) int { return a.CreatedAt.Compare(b.CreatedAt) },
		"price":      func(a, b productView) int { return cmp.Compare(a.PriceCents, b.PriceCents) },
		"name":       func(a, b productView) int { return strings.Compare(a.Name, b.Name) },
	}
	for _, sort := range []string{"created_at", "-created_at", "price", "-price", "name", "-name", ""} {
		key, desc := strings.TrimPrefix(sort, "-"), strings.HasPrefix(sort, "-")
		if sort == "" { // the default
			key, desc = "created_at", true
		}
		want := slices.Clone(all)
		slices.SortFunc(want, func(a, b productView) int {
			c := cmp.Or(byKey[key](a, b), cmp.Compare(a.ID, b.ID))
			if desc {
				return -c
			}
			return c
		})
		query := ""
		if sort != "" {
			query = "sort=" + sort
		}
		for _, limit := range []int{1, 3, 7, 100} {
			got := e.listAll(t, query, limit)
			if !slices.Equal(ids(got), ids(want)) {
				t.Errorf("sort %q limit %d: ids %v, want %v", sort, limit, ids(got), ids(want))
			}
		}
	}

	var last productPageView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/products?limit=7"}).JSON(t, &last)
	if len(last.Items) != 7 || last.NextCursor != nil {
		t.Errorf("a page holding the last item: %d items, next_cursor %v, want 7 and null", len(last.Items), last.NextCursor)
	}
	var empty productPageView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/products?min_price=999999"}).JSON(t, &empty)
	if empty.Items == nil || len(empty.Items) != 0 || empty.NextCursor != nil {
		t.Errorf("empty page = %+v, want items [] and next_cursor null", empty)
	}
}

func ids(items []productView) []int64 {
	var out []int64
	for _, p := range items {
		out = append(out, p.ID)
	}
	return out
}

// TestListProductsStableUnderInserts fetches page 1, inserts products on both sides of the
// cursor, then fetches the rest: nothing already seen comes again, nothing is skipped, and only
// the insert that sorts after the cursor shows up.
func TestListProductsStableUnderInserts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller := e.newAdmin(), e.newSeller()
	cat := e.catCategory(admin, "Plants", nil)
	var before []int64
	for _, price := range []int{100, 200, 300, 400, 500, 600} {
		before = append(before, e.catProduct(seller.Token, map[string]any{"category_id": cat.ID, "price_cents": price}).ID)
	}

	var page productPageView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/products?sort=price&limit=3"}).JSON(t, &page)
	if !slices.Equal(ids(page.Items), before[:3]) || page.NextCursor == nil {
		t.Fatalf("page 1 = %v (next %v), want %v", ids(page.Items), page.NextCursor, before[:3])
	}
	e.catProduct(seller.Token, map[string]any{"category_id": cat.ID, "price_cents": 50})              // before the cursor
	after := e.catProduct(seller.Token, map[string]any{"category_id": cat.ID, "price_cents": 450}).ID // after it

	var rest []int64
	cursor := *page.NextCursor
	for cursor != "" {
		var next productPageView
		e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/products?sort=price&limit=3&cursor=" + url.QueryEscape(cursor)}).JSON(t, &next)
		rest = append(rest, ids(next.Items)...)
		cursor = ""
		if next.NextCursor != nil {
			cursor = *next.NextCursor
		}
	}
	want := []int64{before[3], after, before[4], before[5]}
	if !slices.Equal(rest, want) {
		t.Errorf("pages after the inserts = %v, want %v", rest, want)
	}
}

func TestListProductsRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller := e.newAdmin(), e.newSeller()
	cat := e.catCategory(admin, "Games", nil)
	for range 3 {
		e.catProduct(seller.Token, map[string]any{"category_id": cat.ID})
	}
	cursorFor := func(query string) string {
		t.Helper()
		var page productPageView
		e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/products?limit=1&" + query}).JSON(t, &page)
		if page.NextCursor == nil {
			t.Fatalf("%s: no next_cursor", query)
		}
		return url.QueryEscape(*page.NextCursor)
	}
	byPrice := cursorFor("sort=price")
	inStock := cursorFor("in_stock=true")
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"s":"-created_at","q":"x","v":"yesterday","id":1}`))

	for _, tc := range []struct {
		name, query string
		want        caseWant
	}{
		{"unknown parameter", "colour=red", caseWant{400, "invalid", "", "colour"}},
		{"parameter twice", "limit=1&limit=2", caseWant{400, "invalid", "", "limit"}},
		{"category_id not a number", "category_id=toys", caseWant{400, "invalid", "", "category_id"}},
		{"category_id negative", "category_id=-1", caseWant{400, "invalid", "", "category_id"}},
		{"seller_id not a UUID", "seller_id=42", caseWant{400, "invalid", "", "seller_id"}},
		{"min_price negative", "min_price=-1", caseWant{400, "invalid", "", "min_price"}},
		{"max_price not a number", "max_price=cheap", caseWant{400, "invalid", "", "max_price"}},
		{"max_price fractional", "max_price=9.99", caseWant{400, "invalid", "", "max_price"}},
		{"min_price above max_price", "min_price=500&max_price=100", caseWant{422, "validation", "min_price", ""}},
		{"in_stock not a boolean", "in_stock=yes", caseWant{400, "invalid", "", "in_stock"}},
		{"status unknown", "status=deleted", caseWant{400, "invalid", "", "status"}},
		{"sort unknown", "sort=popularity", caseWant{400, "invalid", "", "sort"}},
		{"sort with id", "sort=id", caseWant{400, "invalid", "", "sort"}},
		{"limit zero", "limit=0", caseWant{400, "invalid", "", "limit"}},
		{"limit above 100", "limit=101", caseWant{400, "invalid", "", "limit"}},
		{"limit not a number", "limit=ten", caseWant{400, "invalid", "", "limit"}},
		{"q too long", "q=" + strings.Repeat("a", 201), caseWant{400, "invalid", "", "q"}},
		{"cursor empty", "cursor=", caseWant{400, "invalid", "", "cursor"}},
		{"query string with a bad escape", "cursor=%%%21", caseWant{400, "invalid", "", ""}},
		{"cursor not base64", "cursor=!!!", caseWant{400, "invalid", "", "cursor"}},
		{"cursor not base64 JSON", "cursor=bm90IGpzb24", caseWant{400, "invalid", "", "cursor"}},
		{"cursor with a bad value", "cursor=" + forged, caseWant{400, "invalid", "", "cursor"}},
		{"cursor from another sort", "cursor=" + byPrice, caseWant{400, "invalid", "", "cursor"}},
		{"cursor from other filters", "sort=price&in_stock=false&cursor=" + byPrice, caseWant{400, "invalid", "", "cursor"}},
		{"cursor without its filter", "cursor=" + inStock, caseWant{400, "invalid", "", "cursor"}},
		{"cursor with its own sort is fine", "sort=price&cursor=" + byPrice, caseWant{200, "", "", ""}},
		{"cursor with its own filter is fine", "in_stock=true&limit=5&cursor=" + inStock, caseWant{200, "", "", ""}},
	} {
		tc.want.check(t, tc.name, e.do(req{Method: "GET", Path: "/api/v1/products?" + tc.query}))
	}
}
