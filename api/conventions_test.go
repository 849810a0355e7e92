package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// The conventions of docs/API.md, checked across every endpoint they apply to.

// listPaths are every list endpoint, with a caller allowed to read it.
func listPaths(e *testEnv) []struct{ path, token string } {
	admin, seller, customer := e.newAdmin(), e.newSeller(), e.newCustomer()
	return []struct{ path, token string }{
		{"/api/v1/categories", ""},
		{"/api/v1/products", ""},
		{"/api/v1/orders", customer.Token},
		{"/api/v1/notifications", customer.Token},
		{"/api/v1/reports", admin.Token},
		{"/api/v1/sellers/me/reports", seller.Token},
		{"/api/v1/admin/shipping/zones", admin.Token},
		{"/api/v1/admin/tax-rates", admin.Token},
		{"/api/v1/admin/promotions", admin.Token},
	}
}

func TestEveryListHasTheOneEnvelopeAndPagingParser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, l := range listPaths(e) {
		t.Run(strings.TrimPrefix(l.path, "/api/v1/"), func(t *testing.T) {
			res := e.mustDo(http.StatusOK, req{Method: "GET", Path: l.path, Token: l.token})
			var body map[string]json.RawMessage
			res.JSON(t, &body)
			if len(body) != 2 || body["items"] == nil || string(body["next_cursor"]) != "null" {
				t.Errorf("%s: body %s, want exactly items and next_cursor (null on the last page)", l.path, truncate(res.Body))
			}
			var items []json.RawMessage
			if err := json.Unmarshal(body["items"], &items); err != nil || items == nil {
				t.Errorf("%s: items %s, want an array", l.path, body["items"])
			}
			for _, bad := range []struct{ query, param, message string }{
				{"limit=0", "limit", `limit must be an integer from 1 to 100, got "0"`},
				{"limit=101", "limit", `limit must be an integer from 1 to 100, got "101"`},
				{"limit=ten", "limit", `limit must be an integer from 1 to 100, got "ten"`},
				{"limit=1&limit=2", "limit", "limit is given more than once"},
				{"cursor=", "cursor", "cursor must not be empty; omit it for the first page"},
				{"pagesize=5", "pagesize", "pagesize is not a parameter of this list"},
			} {
				res := e.mustDo(http.StatusBadRequest, req{Method: "GET", Path: l.path + "?" + bad.query, Token: l.token})
				ev := catErr(t, res)
				if ev.Error.Code != "invalid" || ev.Error.Details["parameter"] != bad.param || !strings.HasPrefix(ev.Error.Message, bad.message) {
					t.Errorf("%s?%s: %s, want invalid naming %s: %q", l.path, bad.query, res.Body, bad.param, bad.message)
				}
			}
			e.mustDo(http.StatusOK, req{Method: "GET", Path: l.path + "?limit=1", Token: l.token})
			e.mustDo(http.StatusOK, req{Method: "GET", Path: l.path + "?limit=100", Token: l.token})
		})
	}
}

// Categories are paged in memory; the pages cover the list exactly once, in order, and a
// cursor only continues the list it came from.
func TestCategoriesArePaged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()
	root := e.catCategory(admin, "Paged "+randHex(3), nil)
	var want []int64
	for i := range 5 {
		want = append(want, e.catCategory(admin, fmt.Sprintf("Child %d", i), &root.ID).ID)
	}
	type page struct {
		Items      []categoryView `json:"items"`
		NextCursor *string        `json:"next_cursor"`
	}
	var got []int64
	path := fmt.Sprintf("/api/v1/categories?parent_id=%d&limit=2", root.ID)
	var first page
	for q, pages := path, 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		var p page
		e.mustDo(http.StatusOK, req{Method: "GET", Path: q}).JSON(t, &p)
		if pages == 0 {
			first = p
		}
		if len(p.Items) > 2 {
			t.Errorf("page of %d, want at most 2", len(p.Items))
		}
		for _, c := range p.Items {
			got = append(got, c.ID)
		}
		if p.NextCursor == nil {
			break
		}
		q = path + "&cursor=" + *p.NextCursor
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages hold %v, want %v (by name)", got, want)
	}
	if first.NextCursor == nil {
		t.Fatal("the first of three pages has no next_cursor")
	}
	for _, other := range []string{"/api/v1/categories?cursor=" + *first.NextCursor, "/api/v1/categories?cursor=bm90LWEtY3Vyc29y"} {
		res := e.mustDo(http.StatusBadRequest, req{Method: "GET", Path: other})
		if ev := catErr(t, res); ev.Error.Details["parameter"] != "cursor" {
			t.Errorf("%s: %s, want a 400 naming cursor", other, res.Body)
		}
	}
}

// Every seller-only action by an account without a store answers the same 403.
func TestAccountWithoutAStoreIsForbiddenEverywhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()
	cat := e.catCategory(admin, "No store "+randHex(3), nil)
	// Roles are read from the database on every request, so the account must exist: a seller
	// user without a sellers row (an admin can make one by changing a customer's role).
	var id string
	if err := e.Store.Pool.QueryRow(context.Background(), `INSERT INTO users (email, password_hash, role)
		VALUES ($1, 'x', 'seller') RETURNING id`, "no-store-"+randHex(4)+"@example.com").Scan(&id); err != nil {
		t.Fatal(err)
	}
	token, _, err := e.Tokens.Issue(id, "seller", "")
	if err != nil {
		t.Fatal(err)
	}
	order := uuid.NewString()
	for _, r := range []req{
		{Method: "POST", Path: "/api/v1/products", Body: map[string]any{"category_id": cat.ID, "name": "Lamp", "price_cents": 100, "currency": "USD"}},
		{Method: "PATCH", Path: "/api/v1/products/1", Body: map[string]any{"name": "Lamp"}},
		{Method: "GET", Path: "/api/v1/products/1/inventory"},
		{Method: "PUT", Path: "/api/v1/products/1/inventory", Body: map[string]any{"on_hand": 1}},
		{Method: "DELETE", Path: "/api/v1/products/1"},
		{Method: "GET", Path: "/api/v1/orders"},
		{Method: "POST", Path: "/api/v1/orders/" + order + "/ship"},
		{Method: "POST", Path: "/api/v1/orders/" + order + "/deliver"},
		{Method: "GET", Path: "/api/v1/sellers/me/rank"},
		{Method: "GET", Path: "/api/v1/sellers/me/reports"},
		{Method: "GET", Path: "/api/v1/sellers/me/reports/2026-11-20"},
		{Method: "GET", Path: "/api/v1/sellers/me/notification-preferences"},
		{Method: "PUT", Path: "/api/v1/sellers/me/notification-preferences", Body: map[string]any{"channels": []string{"email"}}},
	} {
		r.Token = token
		res := e.mustDo(http.StatusForbidden, r)
		ev := catErr(t, res)
		if ev.Error.Code != "forbidden" || ev.Error.Details["reason"] != "no_store" || ev.Error.Message != "this account has no store" {
			t.Errorf("%s %s: %s, want the no-store 403", r.Method, r.Path, res.Body)
		}
	}
}

// Field errors are named in details.fields, whoever raises them: binding, a handler's own
// check, or the store.
func TestFieldErrorsUseDetailsFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller := e.newAdmin(), e.newSeller()
	for _, c := range []struct {
		r      req
		status int
		field  string
	}{
		{req{Method: "POST", Path: "/api/v1/categories", Token: admin.Token, Body: map[string]any{"name": "  "}}, http.StatusUnprocessableEntity, "name"},
		{req{Method: "POST", Path: "/api/v1/categories", Token: admin.Token, Body: map[string]any{"name": "x", "parent_id": 1 << 40}}, http.StatusUnprocessableEntity, "parent_id"},
		{req{Method: "POST", Path: "/api/v1/categories", Token: admin.Token, Body: map[string]any{"name": 5}}, http.StatusBadRequest, "name"},
		{req{Method: "POST", Path: "/api/v1/admin/jobs/daily-report", Token: admin.Token, Body: map[string]any{"date": "yesterday"}}, http.StatusUnprocessableEntity, "date"},
		{req{Method: "POST", Path: "/api/v1/admin/jobs/daily-report", Token: admin.Token, Body: map[string]any{"date": "2999-01-01"}}, http.StatusUnprocessableEntity, "date"},
		{req{Method: "PUT", Path: "/api/v1/sellers/me/notification-preferences", Token: seller.Token, Body: map[string]any{"channels": []string{"sms"}}}, http.StatusUnprocessableEntity, "phone"},
		{req{Method: "GET", Path: "/api/v1/products?min_price=9&max_price=1"}, http.StatusUnprocessableEntity, "min_price"},
	} {
		res := e.mustDo(c.status, c.r)
		ev := catErr(t, res)
		if ev.field(c.field) == "" || len(ev.Error.Details) != 1 {
			t.Errorf("%s %s: %s, want details holding only fields.%s", c.r.Method, c.r.Path, res.Body, c.field)
		}
	}
}

// A request that breaks a database rule gets a field error, never the rule's name.
func TestConstraintNamesNeverReachClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller := e.newAdmin(), e.newSeller()
	cat := e.catCategory(admin, "Rules "+randHex(3), nil)
	// A rule stricter than the API's validation, as a migration might add: the database is the
	// last line, and its answer must still be a clean one.
	e.exec(`ALTER TABLE products DROP CONSTRAINT products_price_cents_check,
		ADD CONSTRAINT products_price_cents_check CHECK (price_cents >= 100)`)
	e.exec(`ALTER TABLE inventory ADD CONSTRAINT inventory_threshold_below_stock CHECK (low_stock_threshold <= on_hand + 1000)`)
	res := e.do(req{Method: "POST", Path: "/api/v1/products", Token: seller.Token,
		Body: map[string]any{"category_id": cat.ID, "name": "Cheap", "price_cents": 50, "currency": "USD"}})
	ev := catErr(t, res)
	if res.Code != http.StatusUnprocessableEntity || ev.field("price_cents") == "" || strings.Contains(string(res.Body), "_check") {
		t.Errorf("price below a database rule: %d %s, want a 422 naming price_cents and no constraint", res.Code, res.Body)
	}
	if _, ok := ev.Error.Details["constraint"]; ok {
		t.Errorf("details carry the constraint: %s", res.Body)
	}
	res = e.do(req{Method: "POST", Path: "/api/v1/products", Token: seller.Token,
		Body: map[string]any{"category_id": cat.ID, "name": "Odd", "price_cents": 500, "currency": "USD", "low_stock_threshold": 5000}})
	ev = catErr(t, res)
	if res.Code >= 500 || res.Code < 400 || strings.Contains(string(res.Body), "inventory_threshold_below_stock") || ev.Error.Details["constraint"] != nil {
		t.Errorf("a rule over two columns: %d %s, want a client error without the constraint", res.Code, res.Body)
	}
	if msg := ev.Error.Message; msg == "" || strings.HasSuffix(msg, ":") {
		t.Errorf("a rule over two columns: message %q, want a whole sentence", msg)
	}
}
