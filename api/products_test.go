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
	"time"

	"github.com/google/uuid"
)

// productView is the API's Product.
type productView struct {
	ID          int64          `json:"id"`
	SellerID    string         `json:"seller_id"`
	StoreName   string         `json:"store_name"`
	CategoryID  int64          `json:"category_id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	PriceCents  int64          `json:"price_cents"`
	Currency    string         `json:"currency"`
	Attributes  map[string]any `json:"attributes"`
	Status      string         `json:"status"`
	Stock       struct {
		Available int  `json:"available"`
		InStock   bool `json:"in_stock"`
	} `json:"stock"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type productPageView struct {
	Items      []productView `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

type inventoryView struct {
	ProductID         int64     `json:"product_id"`
	OnHand            int       `json:"on_hand"`
	Reserved          int       `json:"reserved"`
	Available         int       `json:"available"`
	LowStockThreshold int       `json:"low_stock_threshold"`
	LowStock          bool      `json:"low_stock"`
	UpdatedAt         time.Time `json:"updated_at"`
}

func productPath(id int64) string   { return fmt.Sprintf("/api/v1/products/%d", id) }
func inventoryPath(id int64) string { return fmt.Sprintf("/api/v1/products/%d/inventory", id) }

// catProduct creates a product through the API; body must name category_id (and seller_id for
// an admin). Unset fields default to a 10.00 USD active product with 5 on hand.
func (e *testEnv) catProduct(token string, body map[string]any) productView {
	e.t.Helper()
	full := map[string]any{"name": "Product " + randHex(3), "price_cents": 1000, "currency": "USD", "on_hand": 5}
	for k, v := range body {
		full[k] = v
	}
	var p productView
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/products", Token: token, Body: full}).JSON(e.t, &p)
	return p
}

// catReserve sets a product's reserved stock directly, as a checkout in progress would.
func (e *testEnv) catReserve(productID int64, reserved int) {
	e.t.Helper()
	if _, err := e.Store.Pool.Exec(context.Background(), `UPDATE inventory SET reserved = $2 WHERE product_id = $1`, productID, reserved); err != nil {
		e.t.Fatal(err)
	}
}

func TestCreateProduct(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smallBodies)
	admin, seller, other, customer := e.newAdmin(), e.newSeller(), e.newSeller(), e.newCustomer()
	cat := e.catCategory(admin, "Lamps", nil)

	valid := func(changes map[string]any) map[string]any {
		b := map[string]any{"category_id": cat.ID, "name": "Desk lamp", "price_cents": 4200, "currency": "EUR"}
		for k, v := range changes {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	manyAttrs := map[string]any{}
	for i := range 51 {
		manyAttrs[fmt.Sprintf("k%d", i)] = i
	}
	tests := []struct {
		name  string
		token string
		body  any
		want  caseWant
	}{
		{"anonymous needs a token", "", valid(nil), caseWant{401, "unauthorized", "", ""}},
		{"customer cannot sell", customer.Token, valid(nil), caseWant{403, "forbidden", "", ""}},
		{"seller cannot create for another seller", seller.Token, valid(map[string]any{"seller_id": *other.SellerID}), caseWant{403, "forbidden", "", ""}},
		{"seller may name itself", seller.Token, valid(map[string]any{"seller_id": *seller.SellerID}), caseWant{201, "", "", ""}},
		{"admin must name a seller", admin.Token, valid(nil), caseWant{422, "validation", "seller_id", ""}},
		{"admin names an unknown seller", admin.Token, valid(map[string]any{"seller_id": uuid.NewString()}), caseWant{422, "validation", "seller_id", ""}},
		{"seller_id not a UUID", admin.Token, valid(map[string]any{"seller_id": "shop-1"}), caseWant{422, "validation", "seller_id", ""}},
		{"category_id missing", seller.Token, valid(map[string]any{"category_id": nil}), caseWant{422, "validation", "category_id", ""}},
		{"category_id zero", seller.Token, valid(map[string]any{"category_id": 0}), caseWant{422, "validation", "category_id", ""}},
		{"category_id unknown", seller.Token, valid(map[string]any{"category_id": cat.ID + 1000}), caseWant{422, "validation", "category_id", ""}},
		{"category_id wrong type", seller.Token, valid(map[string]any{"category_id": "1"}), caseWant{400, "invalid", "category_id", ""}},
		{"name missing", seller.Token, valid(map[string]any{"name": nil}), caseWant{422, "validation", "name", ""}},
		{"name blank", seller.Token, valid(map[string]any{"name": "  "}), caseWant{422, "validation", "name", ""}},
		{"name too long", seller.Token, valid(map[string]any{"name": strings.Repeat("n", 201)}), caseWant{422, "validation", "name", ""}},
		{"name wrong type", seller.Token, valid(map[string]any{"name": []string{"x"}}), caseWant{400, "invalid", "name", ""}},
		{"description too long", seller.Token, valid(map[string]any{"description": strings.Repeat("d", 10001)}), caseWant{422, "validation", "description", ""}},
		{"price_cents missing", seller.Token, valid(map[string]any{"price_cents": nil}), caseWant{422, "validation", "price_cents", ""}},
		{"price_cents negative", seller.Token, valid(map[string]any{"price_cents": -1}), caseWant{422, "validation", "price_cents", ""}},
		{"price_cents above the cap", seller.Token, valid(map[string]any{"price_cents": 100000000001}), caseWant{422, "validation", "price_cents", ""}},
		{"price_cents fractional", seller.Token, valid(map[string]any{"price_cents": 10.5}), caseWant{400, "invalid", "price_cents", ""}},
		{"price_cents a string", seller.Token, valid(map[string]any{"price_cents": "100"}), caseWant{400, "invalid", "price_cents", ""}},
		{"price_cents zero is a free item", seller.Token, valid(map[string]any{"price_cents": 0}), caseWant{201, "", "", ""}},
		{"currency missing", seller.Token, valid(map[string]any{"currency": nil}), caseWant{422, "validation", "currency", ""}},
		{"currency lower case", seller.Token, valid(map[string]any{"currency": "eur"}), caseWant{422, "validation", "currency", ""}},
		{"currency not ISO 4217", seller.Token, valid(map[string]any{"currency": "XYZ"}), caseWant{422, "validation", "currency", ""}},
		{"currency four letters", seller.Token, valid(map[string]any{"currency": "EURO"}), caseWant{422, "validation", "currency", ""}},
		{"attributes an array", seller.Token, valid(map[string]any{"attributes": []int{1}}), caseWant{400, "invalid", "attributes", ""}},
		{"attributes a string", seller.Token, valid(map[string]any{"attributes": "red"}), caseWant{400, "invalid", "attributes", ""}},
		{"attributes too many keys", seller.Token, valid(map[string]any{"attributes": manyAttrs}), caseWant{422, "validation", "attributes", ""}},
		{"attributes empty key", seller.Token, valid(map[string]any{"attributes": map[string]any{"": 1}}), caseWant{422, "validation", "attributes[]", ""}},
		{"status archived on create", seller.Token, valid(map[string]any{"status": "archived"}), caseWant{422, "validation", "status", ""}},
		{"status unknown", seller.Token, valid(map[string]any{"status": "live"}), caseWant{422, "validation", "status", ""}},
		{"on_hand negative", seller.Token, valid(map[string]any{"on_hand": -1}), caseWant{422, "validation", "on_hand", ""}},
		{"on_hand above the cap", seller.Token, valid(map[string]any{"on_hand": 1000000001}), caseWant{422, "validation", "on_hand", ""}},
		{"low_stock_threshold negative", seller.Token, valid(map[string]any{"low_stock_threshold": -1}), caseWant{422, "validation", "low_stock_threshold", ""}},
		{"unknown field", seller.Token, valid(map[string]any{"sku": "X1"}), caseWant{400, "invalid", "sku", ""}},
		{"malformed JSON", seller.Token, `{"name": "x",`, caseWant{400, "invalid", "", ""}},
		{"not an object", seller.Token, `[]`, caseWant{400, "invalid", "", ""}},
		{"oversized body", seller.Token, valid(map[string]any{"description": strings.Repeat("d", 70<<10)}), caseWant{413, "too_large", "", ""}},
	}
	for _, tc := range tests {
		tc.want.check(t, tc.name, e.do(req{Method: "POST", Path: "/api/v1/products", Token: tc.token, Body: tc.body}))
	}

	// Every field, as a seller: echoed back, the store named, stock created with the product.
	res := e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/products", Token: seller.Token, Body: valid(map[string]any{
		"description": "Warm light", "attributes": map[string]any{"color": "brass", "watts": 40}, "status": "draft",
		"on_hand": 12, "low_stock_threshold": 3,
	})})
	var p productView
	res.JSON(t, &p)
	if p.SellerID != *seller.SellerID || p.StoreName != *seller.StoreName || p.CategoryID != cat.ID || p.Name != "Desk lamp" ||
		p.Description != "Warm light" || p.PriceCents != 4200 || p.Currency != "EUR" || p.Attributes["color"] != "brass" ||
		p.Status != "draft" || p.Stock.Available != 12 || !p.Stock.InStock {
		t.Errorf("created product = %+v", p)
	}
	if loc := res.Header.Get("Location"); loc != productPath(p.ID) {
		t.Errorf("Location = %q", loc)
	}
	var inv inventoryView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: inventoryPath(p.ID), Token: seller.Token}).JSON(t, &inv)
	if inv.ProductID != p.ID || inv.OnHand != 12 || inv.Reserved != 0 || inv.LowStockThreshold != 3 || inv.LowStock {
		t.Errorf("inventory of the new product = %+v", inv)
	}

	// Defaults, as an admin for a seller: active, no stock, empty attributes.
	var q productView
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/products", Token: admin.Token,
		Body: valid(map[string]any{"seller_id": *other.SellerID})}).JSON(t, &q)
	if q.SellerID != *other.SellerID || q.Status != "active" || q.Stock.Available != 0 || q.Stock.InStock || q.Attributes == nil || len(q.Attributes) != 0 {
		t.Errorf("admin-created product = %+v", q)
	}
}

func TestCreateProductIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller := e.newAdmin(), e.newSeller()
	cat := e.catCategory(admin, "Mugs", nil)
	body := map[string]any{"category_id": cat.ID, "name": "Mug", "price_cents": 900, "currency": "USD"}
	key := map[string]string{"Idempotency-Key": "create-mug-" + randHex(4)}

	var first, again productView
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/products", Token: seller.Token, Body: body, Header: key}).JSON(t, &first)
	res := e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/products", Token: seller.Token, Body: body, Header: key})
	res.JSON(t, &again)
	if again.ID != first.ID || res.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry created product %d (replayed %q), want a replay of %d", again.ID, res.Header.Get("Idempotent-Replayed"), first.ID)
	}
	body["price_cents"] = 1
	caseWant{409, "conflict", "", ""}.check(t, "same key, other body",
		e.do(req{Method: "POST", Path: "/api/v1/products", Token: seller.Token, Body: body, Header: key}))
	var n int
	if err := e.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM products`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d products (%v), want 1", n, err)
	}
}

// TestProductOwnership proves only the owning seller and admins change a product or see its
// stock, and that another seller cannot even learn a draft exists.
func TestProductOwnership(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, owner, other, customer := e.newAdmin(), e.newSeller(), e.newSeller(), e.newCustomer()
	cat := e.catCategory(admin, "Tools", nil)
	active := e.catProduct(owner.Token, map[string]any{"category_id": cat.ID})
	draft := e.catProduct(owner.Token, map[string]any{"category_id": cat.ID, "status": "draft"})
	archiveMe := func() int64 { return e.catProduct(owner.Token, map[string]any{"category_id": cat.ID}).ID }

	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		want   caseWant
	}{
		{"anonymous cannot patch", "PATCH", productPath(active.ID), "", map[string]any{"name": "X"}, caseWant{401, "unauthorized", "", ""}},
		{"customer cannot patch", "PATCH", productPath(active.ID), customer.Token, map[string]any{"name": "X"}, caseWant{403, "forbidden", "", ""}},
		{"other seller cannot patch", "PATCH", productPath(active.ID), other.Token, map[string]any{"name": "X"}, caseWant{403, "forbidden", "", ""}},
		{"other seller cannot see a draft to patch", "PATCH", productPath(draft.ID), other.Token, map[string]any{"name": "X"}, caseWant{404, "not_found", "", ""}},
		{"owner patches", "PATCH", productPath(active.ID), owner.Token, map[string]any{"name": "Hammer"}, caseWant{200, "", "", ""}},
		{"owner patches its draft", "PATCH", productPath(draft.ID), owner.Token, map[string]any{"name": "Saw"}, caseWant{200, "", "", ""}},
		{"admin patches", "PATCH", productPath(active.ID), admin.Token, map[string]any{"price_cents": 1500}, caseWant{200, "", "", ""}},
		{"patch unknown product", "PATCH", productPath(active.ID + 1000), owner.Token, map[string]any{"name": "X"}, caseWant{404, "not_found", "", ""}},

		{"anonymous cannot archive", "DELETE", productPath(active.ID), "", nil, caseWant{401, "unauthorized", "", ""}},
		{"customer cannot archive", "DELETE", productPath(active.ID), customer.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"other seller cannot archive", "DELETE", productPath(active.ID), other.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"owner archives", "DELETE", productPath(archiveMe()), owner.Token, nil, caseWant{204, "", "", ""}},
		{"admin archives", "DELETE", productPath(archiveMe()), admin.Token, nil, caseWant{204, "", "", ""}},
		{"archive unknown product", "DELETE", productPath(active.ID + 1000), admin.Token, nil, caseWant{404, "not_found", "", ""}},

		{"anonymous cannot read stock", "GET", inventoryPath(active.ID), "", nil, caseWant{401, "unauthorized", "", ""}},
		{"customer cannot read stock", "GET", inventoryPath(active.ID), customer.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"other seller cannot read stock", "GET", inventoryPath(active.ID), other.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"owner reads stock", "GET", inventoryPath(active.ID), owner.Token, nil, caseWant{200, "", "", ""}},
		{"admin reads stock", "GET", inventoryPath(draft.ID), admin.Token, nil, caseWant{200, "", "", ""}},

		{"anonymous cannot set stock", "PUT", inventoryPath(active.ID), "", map[string]any{"on_hand": 1}, caseWant{401, "unauthorized", "", ""}},
		{"customer cannot set stock", "PUT", inventoryPath(active.ID), customer.Token, map[string]any{"on_hand": 1}, caseWant{403, "forbidden", "", ""}},
		{"other seller cannot set stock", "PUT", inventoryPath(active.ID), other.Token, map[string]any{"on_hand": 1}, caseWant{403, "forbidden", "", ""}},
		{"other seller cannot set a draft's stock", "PUT", inventoryPath(draft.ID), other.Token, map[string]any{"on_hand": 1}, caseWant{404, "not_found", "", ""}},
		{"owner sets stock", "PUT", inventoryPath(active.ID), owner.Token, map[string]any{"on_hand": 7}, caseWant{200, "", "", ""}},
		{"admin sets stock", "PUT", inventoryPath(active.ID), admin.Token, map[string]any{"on_hand": 8}, caseWant{200, "", "", ""}},
		{"set stock of unknown product", "PUT", inventoryPath(active.ID + 1000), admin.Token, map[string]any{"on_hand": 1}, caseWant{404, "not_found", "", ""}},
	}
	for _, tc := range tests {
		tc.want.check(t, tc.name, e.do(req{Method: tc.method, Path: tc.path, Token: tc.token, Body: tc.body}))
	}

	// Refused requests changed nothing; allowed ones did.
	var p productView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: productPath(active.ID)}).JSON(t, &p)
	if p.Name != "Hammer" || p.PriceCents != 1500 || p.Status != "active" || p.Stock.Available != 8 {
		t.Errorf("after the table: %+v, want Hammer at 1500, active, 8 available", p)
	}
}

// TestDraftAndArchivedVisibility proves drafts and archived products exist only for their seller
// and admins, for one product and for lists.
func TestDraftAndArchivedVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, owner, other, customer := e.newAdmin(), e.newSeller(), e.newSeller(), e.newCustomer()
	cat := e.catCategory(admin, "Art", nil)
	active := e.catProduct(owner.Token, map[string]any{"category_id": cat.ID, "name": "Active"})
	draft := e.catProduct(owner.Token, map[string]any{"category_id": cat.ID, "name": "Draft", "status": "draft"})
	archived := e.catProduct(owner.Token, map[string]any{"category_id": cat.ID, "name": "Archived"})
	e.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: productPath(archived.ID), Token: owner.Token})
	e.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: productPath(archived.ID), Token: owner.Token}) // no-op

	for _, tc := range []struct {
		name  string
		id    int64
		token string
		want  int
	}{
		{"anyone sees an active product", active.ID, "", 200},
		{"anonymous cannot see a draft", draft.ID, "", 404},
		{"customer cannot see a draft", draft.ID, customer.Token, 404},
		{"other seller cannot see a draft", draft.ID, other.Token, 404},
		{"owner sees its draft", draft.ID, owner.Token, 200},
		{"admin sees a draft", draft.ID, admin.Token, 200},
		{"anonymous cannot see an archived product", archived.ID, "", 404},
		{"owner sees its archived product", archived.ID, owner.Token, 200},
		{"admin sees an archived product", archived.ID, admin.Token, 200},
		{"unknown product", archived.ID + 1000, admin.Token, 404},
	} {
		res := e.do(req{Method: "GET", Path: productPath(tc.id), Token: tc.token})
		if res.Code != tc.want {
			t.Errorf("%s: status %d, want %d: %s", tc.name, res.Code, tc.want, res.Body)
		}
	}
	var p productView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: productPath(archived.ID), Token: owner.Token}).JSON(t, &p)
	if p.Status != "archived" {
		t.Errorf("archived product has status %q", p.Status)
	}

	own := url.QueryEscape(*owner.SellerID)
	for _, tc := range []struct {
		name  string
		query string
		token string
		want  int
		names []string
	}{
		{"public list shows active only", "", "", 200, []string{"Active"}},
		{"anonymous cannot list drafts", "?status=draft", "", 403, nil},
		{"customer cannot list drafts", "?status=draft&seller_id=" + own, customer.Token, 403, nil},
		{"other seller cannot list someone's drafts", "?status=draft&seller_id=" + own, other.Token, 403, nil},
		{"owner must filter by its own seller_id", "?status=draft", owner.Token, 403, nil},
		{"owner lists its drafts", "?status=draft&seller_id=" + own, owner.Token, 200, []string{"Draft"}},
		{"owner lists its archive", "?status=archived&seller_id=" + own, owner.Token, 200, []string{"Archived"}},
		{"admin lists all drafts", "?status=draft", admin.Token, 200, []string{"Draft"}},
		{"active explicitly is public", "?status=active", "", 200, []string{"Active"}},
	} {
		res := e.do(req{Method: "GET", Path: "/api/v1/products" + tc.query, Token: tc.token})
		if res.Code != tc.want {
			t.Errorf("%s: status %d, want %d: %s", tc.name, res.Code, tc.want, res.Body)
			continue
		}
		if tc.want != 200 {
			continue
		}
		var page productPageView
		res.JSON(t, &page)
		if got := productNames(page.Items); !slices.Equal(got, tc.names) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.names)
		}
	}
}

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

func TestUpdateProduct(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smallBodies)
	admin, seller := e.newAdmin(), e.newSeller()
	cat := e.catCategory(admin, "Kitchen", nil)
	other := e.catCategory(admin, "Garden", nil)
	p := e.catProduct(seller.Token, map[string]any{"category_id": cat.ID, "name": "Pan", "description": "Cast iron",
		"attributes": map[string]any{"size": "L", "color": "black"}})

	patch := func(body any) response {
		return e.do(req{Method: "PATCH", Path: productPath(p.ID), Token: seller.Token, Body: body})
	}
	for _, tc := range []struct {
		name string
		body any
		want caseWant
	}{
		{"name null", map[string]any{"name": nil}, caseWant{400, "invalid", "name", ""}},
		{"price null", map[string]any{"price_cents": nil}, caseWant{400, "invalid", "price_cents", ""}},
		{"attributes null", map[string]any{"attributes": nil}, caseWant{400, "invalid", "attributes", ""}},
		{"name blank", map[string]any{"name": "  "}, caseWant{422, "validation", "name", ""}},
		{"name too long", map[string]any{"name": strings.Repeat("n", 201)}, caseWant{422, "validation", "name", ""}},
		{"name wrong type", map[string]any{"name": 1}, caseWant{400, "invalid", "name", ""}},
		{"description too long", map[string]any{"description": strings.Repeat("d", 10001)}, caseWant{422, "validation", "description", ""}},
		{"price negative", map[string]any{"price_cents": -5}, caseWant{422, "validation", "price_cents", ""}},
		{"price above the cap", map[string]any{"price_cents": 100000000001}, caseWant{422, "validation", "price_cents", ""}},
		{"price fractional", map[string]any{"price_cents": 1.5}, caseWant{400, "invalid", "price_cents", ""}},
		{"currency invalid", map[string]any{"currency": "usd"}, caseWant{422, "validation", "currency", ""}},
		{"category unknown", map[string]any{"category_id": cat.ID + 1000}, caseWant{422, "validation", "category_id", ""}},
		{"category zero", map[string]any{"category_id": 0}, caseWant{422, "validation", "category_id", ""}},
		{"status unknown", map[string]any{"status": "sold"}, caseWant{422, "validation", "status", ""}},
		{"attributes an array", map[string]any{"attributes": []string{"x"}}, caseWant{400, "invalid", "attributes", ""}},
		{"stock is not patched here", map[string]any{"on_hand": 3}, caseWant{400, "invalid", "on_hand", ""}},
		{"seller cannot be changed", map[string]any{"seller_id": uuid.NewString()}, caseWant{400, "invalid", "seller_id", ""}},
		{"malformed JSON", `{"name":"x"`, caseWant{400, "invalid", "", ""}},
		{"oversized body", map[string]any{"description": strings.Repeat("d", 70<<10)}, caseWant{413, "too_large", "", ""}},
	} {
		tc.want.check(t, tc.name, patch(tc.body))
	}

	var got productView
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: productPath(p.ID), Token: seller.Token, Body: map[string]any{}}).JSON(t, &got)
	if got.Name != "Pan" || !got.UpdatedAt.Equal(p.UpdatedAt) {
		t.Errorf("empty patch changed the product: %+v", got)
	}
	got = productView{}
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: productPath(p.ID), Token: seller.Token, Body: map[string]any{
		"category_id": other.ID, "name": "Skillet", "description": "", "price_cents": 3450, "currency": "GBP",
		"attributes": map[string]any{"size": "M"}, "status": "draft",
	}}).JSON(t, &got)
	if got.CategoryID != other.ID || got.Name != "Skillet" || got.Description != "" || got.PriceCents != 3450 ||
		got.Currency != "GBP" || len(got.Attributes) != 1 || got.Attributes["size"] != "M" || got.Status != "draft" ||
		!got.UpdatedAt.After(p.UpdatedAt) || !got.CreatedAt.Equal(p.CreatedAt) || got.SellerID != p.SellerID {
		t.Errorf("after a full patch: %+v", got)
	}
	e.mustDo(http.StatusNotFound, req{Method: "GET", Path: productPath(p.ID)}) // a draft now
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: productPath(p.ID), Token: seller.Token, Body: map[string]any{"status": "active"}})
	e.mustDo(http.StatusOK, req{Method: "GET", Path: productPath(p.ID)})
}

func TestInventory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller := e.newAdmin(), e.newSeller()
	cat := e.catCategory(admin, "Shoes", nil)
	p := e.catProduct(seller.Token, map[string]any{"category_id": cat.ID, "on_hand": 10, "low_stock_threshold": 2})
	e.catReserve(p.ID, 4)

	put := func(body any) response {
		return e.do(req{Method: "PUT", Path: inventoryPath(p.ID), Token: seller.Token, Body: body})
	}
	for _, tc := range []struct {
		name string
		body any
		want caseWant
	}{
		{"on_hand missing", map[string]any{"low_stock_threshold": 1}, caseWant{422, "validation", "on_hand", ""}},
		{"on_hand negative", map[string]any{"on_hand": -1}, caseWant{422, "validation", "on_hand", ""}},
		{"on_hand above the cap", map[string]any{"on_hand": 1000000001}, caseWant{422, "validation", "on_hand", ""}},
		{"on_hand a string", map[string]any{"on_hand": "5"}, caseWant{400, "invalid", "on_hand", ""}},
		{"on_hand fractional", map[string]any{"on_hand": 2.5}, caseWant{400, "invalid", "on_hand", ""}},
		{"threshold negative", map[string]any{"on_hand": 5, "low_stock_threshold": -1}, caseWant{422, "validation", "low_stock_threshold", ""}},
		{"reserved is not set by sellers", map[string]any{"on_hand": 5, "reserved": 0}, caseWant{400, "invalid", "reserved", ""}},
		{"empty body", "", caseWant{400, "invalid", "", ""}},
		{"below what checkouts hold", map[string]any{"on_hand": 3}, caseWant{409, "conflict", "", ""}},
	} {
		tc.want.check(t, tc.name, put(tc.body))
	}
	ev := catErr(t, put(map[string]any{"on_hand": 3}))
	if ev.Error.Details["reserved"] != float64(4) {
		t.Errorf("409 details = %v, want reserved 4", ev.Error.Details)
	}

	var inv inventoryView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: inventoryPath(p.ID), Token: seller.Token}).JSON(t, &inv)
	if inv.OnHand != 10 || inv.Reserved != 4 || inv.Available != 6 || inv.LowStockThreshold != 2 || inv.LowStock {
		t.Errorf("refused PUTs changed stock: %+v", inv)
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want inventoryView // compared: OnHand, Reserved, Available, LowStockThreshold, LowStock
	}{
		{"equal to reserved sells out", map[string]any{"on_hand": 4}, inventoryView{OnHand: 4, Reserved: 4, Available: 0, LowStockThreshold: 2, LowStock: true}},
		{"restock keeps the threshold", map[string]any{"on_hand": 7}, inventoryView{OnHand: 7, Reserved: 4, Available: 3, LowStockThreshold: 2, LowStock: false}},
		{"threshold reached is low", map[string]any{"on_hand": 7, "low_stock_threshold": 3}, inventoryView{OnHand: 7, Reserved: 4, Available: 3, LowStockThreshold: 3, LowStock: true}},
		{"threshold zero", map[string]any{"on_hand": 100, "low_stock_threshold": 0}, inventoryView{OnHand: 100, Reserved: 4, Available: 96, LowStockThreshold: 0, LowStock: false}},
	} {
		var got inventoryView
		e.mustDo(http.StatusOK, req{Method: "PUT", Path: inventoryPath(p.ID), Token: seller.Token, Body: tc.body}).JSON(t, &got)
		if got.ProductID != p.ID || got.OnHand != tc.want.OnHand || got.Reserved != tc.want.Reserved || got.Available != tc.want.Available ||
			got.LowStockThreshold != tc.want.LowStockThreshold || got.LowStock != tc.want.LowStock {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
		if !got.UpdatedAt.After(inv.UpdatedAt) && !got.UpdatedAt.Equal(inv.UpdatedAt) {
			t.Errorf("%s: updated_at went back", tc.name)
		}
		inv = got
	}
	var shown productView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: productPath(p.ID)}).JSON(t, &shown)
	if shown.Stock.Available != 96 || !shown.Stock.InStock {
		t.Errorf("product stock = %+v, want 96 available", shown.Stock)
	}
}
