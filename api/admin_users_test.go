package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"shopflow/store"
)

// Only admins manage accounts: everyone else is 403, anonymous callers 401.
func TestAdminUserEndpointsNeedAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	target := e.newCustomer()
	routes := []req{
		{Method: "GET", Path: "/api/v1/admin/users"},
		{Method: "PATCH", Path: "/api/v1/admin/users/" + target.ID, Body: map[string]any{"role": "admin"}},
		{Method: "POST", Path: "/api/v1/admin/users/" + target.ID + "/disable"},
		{Method: "POST", Path: "/api/v1/admin/users/" + target.ID + "/enable"},
	}
	for _, caller := range []struct {
		name  string
		token string
		want  int
	}{
		{"anonymous", "", http.StatusUnauthorized},
		{"customer", e.newCustomer().Token, http.StatusForbidden},
		{"seller", e.newSeller().Token, http.StatusForbidden},
	} {
		for _, r := range routes {
			r.Token = caller.token
			if res := e.do(r); res.Code != caller.want {
				t.Errorf("%s %s %s: %d, want %d", caller.name, r.Method, r.Path, res.Code, caller.want)
			}
		}
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/users/me", Token: target.Token})
}

func TestAdminListsUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()
	for range 3 {
		e.newCustomer()
	}
	seller := e.newSeller()
	e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/admin/users/" + seller.ID + "/disable", Token: admin.Token})

	var seen []string
	path := "/api/v1/admin/users?limit=2"
	for range 10 {
		var page struct {
			Items      []store.User `json:"items"`
			NextCursor *string      `json:"next_cursor"`
		}
		e.mustDo(http.StatusOK, req{Method: "GET", Path: path, Token: admin.Token}).JSON(t, &page)
		for _, u := range page.Items {
			seen = append(seen, u.Email)
		}
		if page.NextCursor == nil {
			break
		}
		path = "/api/v1/admin/users?limit=2&cursor=" + *page.NextCursor
	}
	if len(seen) != 5 {
		t.Fatalf("pages held %v, want the 5 accounts once each", seen)
	}
	for i := 1; i < len(seen); i++ {
		if strings.ToLower(seen[i-1]) >= strings.ToLower(seen[i]) {
			t.Fatalf("not in email order: %v", seen)
		}
	}

	filtered := func(q string) []store.User {
		var page struct {
			Items []store.User `json:"items"`
		}
		e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/admin/users?" + q, Token: admin.Token}).JSON(t, &page)
		return page.Items
	}
	if got := filtered("role=seller"); len(got) != 1 || got[0].ID != seller.ID {
		t.Errorf("role=seller: %+v", got)
	}
	if got := filtered("status=disabled"); len(got) != 1 || got[0].ID != seller.ID || got[0].DisabledAt == nil {
		t.Errorf("status=disabled: %+v", got)
	}
	if got := filtered("status=active&role=customer"); len(got) != 3 {
		t.Errorf("active customers: %d, want 3", len(got))
	}

	var first struct {
		NextCursor *string `json:"next_cursor"`
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/admin/users?limit=1", Token: admin.Token}).JSON(t, &first)
	for _, q := range []string{"role=owner", "status=gone", "limit=0", "cursor=bm9wZQ", "role=seller&cursor=" + *first.NextCursor, "page=2"} {
		res := e.mustDo(http.StatusBadRequest, req{Method: "GET", Path: "/api/v1/admin/users?" + q, Token: admin.Token})
		if !strings.Contains(string(res.Body), `"parameter"`) {
			t.Errorf("%s: %s; want details.parameter", q, res.Body)
		}
	}
}

func TestAdminManagesOtherAccountsOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()
	self := "/api/v1/admin/users/" + admin.ID
	e.mustDo(http.StatusConflict, req{Method: "PATCH", Path: self, Token: admin.Token, Body: map[string]any{"role": "customer"}})
	e.mustDo(http.StatusConflict, req{Method: "POST", Path: self + "/disable", Token: admin.Token})
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/users/me", Token: admin.Token})

	c := e.newCustomer()
	e.mustDo(http.StatusUnprocessableEntity, req{Method: "PATCH", Path: "/api/v1/admin/users/" + c.ID, Token: admin.Token, Body: map[string]any{"role": "ingest"}})
	e.mustDo(http.StatusNotFound, req{Method: "POST", Path: "/api/v1/admin/users/" + uuid.NewString() + "/disable", Token: admin.Token})
	e.mustDo(http.StatusBadRequest, req{Method: "POST", Path: "/api/v1/admin/users/not-a-uuid/enable", Token: admin.Token})
}
