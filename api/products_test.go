package api_test

import (
	"context"
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
