package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"shopflow/config"
)

// categoryView is the API's Category.
type categoryView struct {
	ID        int64     `json:"id"`
	ParentID  *int64    `json:"parent_id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// errorView is the API's error body, with details decoded.
type errorView struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// catErr decodes an error response.
func catErr(t testing.TB, res response) errorView {
	t.Helper()
	var ev errorView
	res.JSON(t, &ev)
	return ev
}

// field is the problem details.fields reports for name, or "".
func (ev errorView) field(name string) string {
	fields, _ := ev.Error.Details["fields"].(map[string]any)
	s, _ := fields[name].(string)
	return s
}

// smallBodies caps request bodies at 64 KiB, so "too large" cases stay cheap.
func smallBodies(c *config.Config) { c.BodyLimitBytes = 64 << 10 }

// catCategory creates a category through the API as admin.
func (e *testEnv) catCategory(admin account, name string, parentID *int64) categoryView {
	e.t.Helper()
	body := map[string]any{"name": name}
	if parentID != nil {
		body["parent_id"] = *parentID
	}
	res := e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/categories", Token: admin.Token, Body: body})
	var c categoryView
	res.JSON(e.t, &c)
	return c
}

func categoryPath(id int64) string { return fmt.Sprintf("/api/v1/categories/%d", id) }

// caseWant is what a table row expects: a status, and for errors the code and optionally the
// field or parameter the error must name.
type caseWant struct {
	status int
	code   string
	field  string // details.fields key, for 400/422 about a body field
	param  string // details.parameter, for 400 about a query parameter
}

// check fails the test unless res is what w expects.
func (w caseWant) check(t *testing.T, name string, res response) {
	t.Helper()
	if res.Code != w.status {
		t.Errorf("%s: status %d, want %d: %s", name, res.Code, w.status, res.Body)
		return
	}
	if w.code == "" {
		return
	}
	ev := catErr(t, res)
	if ev.Error.Code != w.code {
		t.Errorf("%s: code %q, want %q: %s", name, ev.Error.Code, w.code, res.Body)
	}
	if w.field != "" && ev.field(w.field) == "" {
		t.Errorf("%s: details.fields has no %q: %s", name, w.field, res.Body)
	}
	if w.param != "" && ev.Error.Details["parameter"] != w.param {
		t.Errorf("%s: details.parameter = %v, want %q: %s", name, ev.Error.Details["parameter"], w.param, res.Body)
	}
}

func TestCreateCategory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smallBodies)
	admin, seller, customer := e.newAdmin(), e.newSeller(), e.newCustomer()
	root := e.catCategory(admin, "Home & Garden", nil)
	if root.Slug != "home-garden" || root.ParentID != nil || root.Name != "Home & Garden" {
		t.Fatalf("root category = %+v, want slug home-garden and no parent", root)
	}

	tests := []struct {
		name  string
		token string
		body  any
		want  caseWant
	}{
		{"anonymous needs a token", "", map[string]any{"name": "X"}, caseWant{401, "unauthorized", "", ""}},
		{"customer is not admin", customer.Token, map[string]any{"name": "X"}, caseWant{403, "forbidden", "", ""}},
		{"seller is not admin", seller.Token, map[string]any{"name": "X"}, caseWant{403, "forbidden", "", ""}},
		{"name missing", admin.Token, map[string]any{"slug": "x"}, caseWant{422, "validation", "name", ""}},
		{"name blank", admin.Token, map[string]any{"name": "   "}, caseWant{422, "validation", "name", ""}},
		{"name wrong type", admin.Token, map[string]any{"name": 12}, caseWant{400, "invalid", "name", ""}},
		{"name too long", admin.Token, map[string]any{"name": strings.Repeat("n", 121)}, caseWant{422, "validation", "name", ""}},
		{"slug not a slug", admin.Token, map[string]any{"name": "X", "slug": "Not A Slug"}, caseWant{422, "validation", "slug", ""}},
		{"slug double dash", admin.Token, map[string]any{"name": "X", "slug": "a--b"}, caseWant{422, "validation", "slug", ""}},
		{"slug too long", admin.Token, map[string]any{"name": "X", "slug": strings.Repeat("s", 121)}, caseWant{422, "validation", "slug", ""}},
		{"slug taken", admin.Token, map[string]any{"name": "Other", "slug": "home-garden"}, caseWant{409, "conflict", "", ""}},
		{"derived slug taken", admin.Token, map[string]any{"name": "Home  Garden"}, caseWant{409, "conflict", "", ""}},
		{"no slug derivable", admin.Token, map[string]any{"name": "日本"}, caseWant{422, "validation", "slug", ""}},
		{"parent_id zero", admin.Token, map[string]any{"name": "X", "parent_id": 0}, caseWant{422, "validation", "parent_id", ""}},
		{"parent_id wrong type", admin.Token, map[string]any{"name": "X", "parent_id": "1"}, caseWant{400, "invalid", "parent_id", ""}},
		{"parent unknown", admin.Token, map[string]any{"name": "X", "parent_id": root.ID + 1000}, caseWant{422, "validation", "parent_id", ""}},
		{"unknown field", admin.Token, map[string]any{"name": "X", "icon": "x.png"}, caseWant{400, "invalid", "icon", ""}},
		{"malformed JSON", admin.Token, `{"name":`, caseWant{400, "invalid", "", ""}},
		{"empty body", admin.Token, "", caseWant{400, "invalid", "", ""}},
		{"oversized body", admin.Token, map[string]any{"name": strings.Repeat("n", 70<<10)}, caseWant{413, "too_large", "", ""}},
	}
	for _, tc := range tests {
		tc.want.check(t, tc.name, e.do(req{Method: "POST", Path: "/api/v1/categories", Token: tc.token, Body: tc.body}))
	}

	res := e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/categories", Token: admin.Token,
		Body: map[string]any{"name": "Café Tables", "parent_id": root.ID}})
	var child categoryView
	res.JSON(t, &child)
	if child.Slug != "cafe-tables" || child.ParentID == nil || *child.ParentID != root.ID {
		t.Errorf("child = %+v, want slug cafe-tables under %d", child, root.ID)
	}
	if loc := res.Header.Get("Location"); loc != categoryPath(child.ID) {
		t.Errorf("Location = %q", loc)
	}
	var got categoryView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: categoryPath(child.ID)}).JSON(t, &got)
	if got.ID != child.ID || got.Slug != child.Slug || !got.CreatedAt.Equal(child.CreatedAt) {
		t.Errorf("GET = %+v, want %+v", got, child)
	}
}

func TestCategoryTreeRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()
	root := e.catCategory(admin, "Root", nil)
	child := e.catCategory(admin, "Child", &root.ID)
	grandchild := e.catCategory(admin, "Grandchild", &child.ID)
	other := e.catCategory(admin, "Other", nil)

	patch := func(id int64, body any) response {
		return e.do(req{Method: "PATCH", Path: categoryPath(id), Token: admin.Token, Body: body})
	}
	tests := []struct {
		name string
		id   int64
		body any
		want caseWant
	}{
		{"own parent is a cycle", root.ID, map[string]any{"parent_id": root.ID}, caseWant{422, "validation", "parent_id", ""}},
		{"child as parent is a cycle", root.ID, map[string]any{"parent_id": child.ID}, caseWant{422, "validation", "parent_id", ""}},
		{"grandchild as parent is a cycle", root.ID, map[string]any{"parent_id": grandchild.ID}, caseWant{422, "validation", "parent_id", ""}},
		{"unknown parent", child.ID, map[string]any{"parent_id": root.ID + 1000}, caseWant{422, "validation", "parent_id", ""}},
		{"parent_id wrong type", child.ID, map[string]any{"parent_id": "x"}, caseWant{400, "invalid", "parent_id", ""}},
		{"name null", child.ID, map[string]any{"name": nil}, caseWant{400, "invalid", "name", ""}},
		{"name blank", child.ID, map[string]any{"name": " "}, caseWant{422, "validation", "name", ""}},
		{"name too long", child.ID, map[string]any{"name": strings.Repeat("n", 121)}, caseWant{422, "validation", "name", ""}},
		{"slug invalid", child.ID, map[string]any{"slug": "UPPER"}, caseWant{422, "validation", "slug", ""}},
		{"slug taken", child.ID, map[string]any{"slug": "other"}, caseWant{409, "conflict", "", ""}},
		{"unknown field", child.ID, map[string]any{"parent": nil}, caseWant{400, "invalid", "parent", ""}},
		{"unknown category", root.ID + 1000, map[string]any{"name": "X"}, caseWant{404, "not_found", "", ""}},
		{"bad id", 0, map[string]any{"name": "X"}, caseWant{400, "invalid", "", ""}},
	}
	for _, tc := range tests {
		tc.want.check(t, tc.name, patch(tc.id, tc.body))
	}
	customer := e.newCustomer()
	caseWant{403, "forbidden", "", ""}.check(t, "customer cannot patch",
		e.do(req{Method: "PATCH", Path: categoryPath(child.ID), Token: customer.Token, Body: map[string]any{"name": "X"}}))

	// A legal move: grandchild under other. Then parent_id null makes it a root, and a rename
	// leaves the parent alone.
	var moved categoryView
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: categoryPath(grandchild.ID), Token: admin.Token,
		Body: map[string]any{"parent_id": other.ID}}).JSON(t, &moved)
	if moved.ParentID == nil || *moved.ParentID != other.ID || moved.Name != "Grandchild" {
		t.Errorf("moved = %+v, want under %d", moved, other.ID)
	}
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: categoryPath(grandchild.ID), Token: admin.Token,
		Body: map[string]any{"parent_id": nil}}).JSON(t, &moved)
	if moved.ParentID != nil {
		t.Errorf("parent_id null: parent = %v, want root", *moved.ParentID)
	}
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: categoryPath(child.ID), Token: admin.Token,
		Body: map[string]any{"name": "Kids", "slug": "kids"}}).JSON(t, &moved)
	if moved.Name != "Kids" || moved.Slug != "kids" || moved.ParentID == nil || *moved.ParentID != root.ID || !moved.UpdatedAt.After(child.UpdatedAt) {
		t.Errorf("renamed = %+v, want Kids/kids still under %d with a later updated_at", moved, root.ID)
	}
	// The former cycle is legal now that grandchild left the subtree.
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: categoryPath(root.ID), Token: admin.Token, Body: map[string]any{"parent_id": grandchild.ID}})
}

func TestListCategories(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()
	a := e.catCategory(admin, "Apparel", nil)
	b := e.catCategory(admin, "Books", nil)
	shirts := e.catCategory(admin, "Shirts", &a.ID)
	hats := e.catCategory(admin, "Hats", &a.ID)

	list := func(query string) []string {
		t.Helper()
		var out struct {
			Items []categoryView `json:"items"`
		}
		e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/categories" + query}).JSON(t, &out)
		var names []string
		for _, c := range out.Items {
			names = append(names, c.Name)
		}
		return names
	}
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"everything, by name", "", []string{"Apparel", "Books", "Hats", "Shirts"}},
		{"children of a parent", fmt.Sprintf("?parent_id=%d", a.ID), []string{"Hats", "Shirts"}},
		{"a leaf has none", fmt.Sprintf("?parent_id=%d", b.ID), nil},
		{"an unknown parent has none", fmt.Sprintf("?parent_id=%d", a.ID+1000), nil},
	} {
		if got := list(tc.query); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name, query string
		want        caseWant
	}{
		{"parent_id not a number", "?parent_id=abc", caseWant{400, "invalid", "", "parent_id"}},
		{"parent_id zero", "?parent_id=0", caseWant{400, "invalid", "", "parent_id"}},
		{"parent_id twice", fmt.Sprintf("?parent_id=%d&parent_id=%d", a.ID, b.ID), caseWant{400, "invalid", "", "parent_id"}},
		{"unknown parameter", "?parent=1", caseWant{400, "invalid", "", "parent"}},
	} {
		tc.want.check(t, tc.name, e.do(req{Method: "GET", Path: "/api/v1/categories" + tc.query}))
	}
	caseWant{404, "not_found", "", ""}.check(t, "unknown category", e.do(req{Method: "GET", Path: categoryPath(hats.ID + 1000)}))
	caseWant{400, "invalid", "", ""}.check(t, "id not a number", e.do(req{Method: "GET", Path: "/api/v1/categories/abc"}))
	_ = shirts
}

func TestDeleteCategory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller := e.newAdmin(), e.newSeller()
	parent := e.catCategory(admin, "Parent", nil)
	child := e.catCategory(admin, "Child", &parent.ID)
	stocked := e.catCategory(admin, "Stocked", nil)
	archived := e.catCategory(admin, "Archived Only", nil)
	empty := e.catCategory(admin, "Empty", nil)
	e.catProduct(seller.Token, map[string]any{"category_id": stocked.ID})
	old := e.catProduct(seller.Token, map[string]any{"category_id": archived.ID})
	e.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: productPath(old.ID), Token: seller.Token})

	del := func(token string, id int64) response {
		return e.do(req{Method: "DELETE", Path: categoryPath(id), Token: token})
	}
	for _, tc := range []struct {
		name  string
		token string
		id    int64
		want  caseWant
	}{
		{"anonymous", "", empty.ID, caseWant{401, "unauthorized", "", ""}},
		{"seller is not admin", seller.Token, empty.ID, caseWant{403, "forbidden", "", ""}},
		{"has a subcategory", admin.Token, parent.ID, caseWant{409, "conflict", "", ""}},
		{"has a product", admin.Token, stocked.ID, caseWant{409, "conflict", "", ""}},
		{"has only an archived product, kept for order history", admin.Token, archived.ID, caseWant{409, "conflict", "", ""}},
		{"unknown", admin.Token, empty.ID + 1000, caseWant{404, "not_found", "", ""}},
		{"a leaf goes", admin.Token, child.ID, caseWant{204, "", "", ""}},
		{"then its parent is empty and goes", admin.Token, parent.ID, caseWant{204, "", "", ""}},
		{"twice is not found", admin.Token, parent.ID, caseWant{404, "not_found", "", ""}},
	} {
		tc.want.check(t, tc.name, del(tc.token, tc.id))
	}
	e.mustDo(http.StatusNotFound, req{Method: "GET", Path: categoryPath(child.ID)})
}
