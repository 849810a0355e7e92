package api_test

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"shopflow/api"
	"shopflow/audit"
	"shopflow/store"
)

// fakeDataRights records the workflows the API starts.
type fakeDataRights struct {
	mu       sync.Mutex
	exports  []string
	erasures []string
	actors   []audit.Actor
}

func (f *fakeDataRights) StartExport(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exports = append(f.exports, id)
	return nil
}

func (f *fakeDataRights) StartErasure(_ context.Context, userID string, actor audit.Actor) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.erasures = append(f.erasures, userID)
	f.actors = append(f.actors, actor)
	return nil
}

func newDataRightsEnv(t *testing.T) (*testEnv, *fakeDataRights) {
	t.Helper()
	flows := &fakeDataRights{}
	return newEnv(t).rebuilt(t, func(d *api.Deps) { d.DataRights = flows }), flows
}

func TestDataExportAPI(t *testing.T) {
	t.Parallel()
	e, flows := newDataRightsEnv(t)
	c, other := e.newCustomer(), e.newCustomer()

	res := e.mustDo(http.StatusAccepted, req{Method: "POST", Path: "/api/v1/users/me/export", Token: c.Token,
		Header: map[string]string{"Idempotency-Key": "exp-1"}})
	var exp struct {
		ID, Status, StatusURL string `json:"-"`
	}
	var view map[string]any
	res.JSON(t, &view)
	exp.ID, exp.Status, exp.StatusURL = view["id"].(string), view["status"].(string), view["status_url"].(string)
	if exp.Status != store.ExportPending || exp.StatusURL != "/api/v1/users/me/exports/"+exp.ID || res.Header.Get("Location") != exp.StatusURL {
		t.Fatalf("export answer %s", res.Body)
	}
	replay := e.mustDo(http.StatusAccepted, req{Method: "POST", Path: "/api/v1/users/me/export", Token: c.Token,
		Header: map[string]string{"Idempotency-Key": "exp-1"}})
	if !bytes.Equal(replay.Body, res.Body) || len(flows.exports) != 1 || flows.exports[0] != exp.ID {
		t.Fatalf("replayed export started %v", flows.exports)
	}

	for _, tc := range []struct {
		name  string
		r     req
		want  int
		code  string
		proof string
	}{
		{"status of one's own export", req{Method: "GET", Path: exp.StatusURL, Token: c.Token}, http.StatusOK, "", "owner sees it"},
		{"another customer's export", req{Method: "GET", Path: exp.StatusURL, Token: other.Token}, http.StatusNotFound, "not_found", "is not theirs"},
		{"malformed export id", req{Method: "GET", Path: "/api/v1/users/me/exports/nope", Token: c.Token}, http.StatusBadRequest, "invalid", "bad id"},
		{"status without a token", req{Method: "GET", Path: exp.StatusURL}, http.StatusUnauthorized, "unauthorized", "needs sign-in"},
		{"download before it is ready", req{Method: "GET", Path: exp.StatusURL + "/download?token=x"}, http.StatusNotFound, "not_found", "no link yet"},
	} {
		if got := e.do(tc.r); got.Code != tc.want || (tc.code != "" && got.ErrorCode(t) != tc.code) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, got.Code, got.Body, tc.want, tc.code)
		}
	}

	// The workflow's work, done by hand: the archive in storage, the export ready with a link.
	key := "exports/" + c.ID + "/" + exp.ID + ".zip"
	if err := e.Server.Deps.ReportFiles.Put(context.Background(), key, bytes.NewReader([]byte("PK-archive"))); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.FinishDataExport(context.Background(), store.ExportLink{ExportID: exp.ID, StorageKey: key, TTL: time.Hour,
		Token: "the-token", Notice: func(time.Time) store.Notice { return store.Notice{Key: "export:" + exp.ID, Kind: "data_export_ready"} }}); err != nil {
		t.Fatal(err)
	}
	dl := e.mustDo(http.StatusOK, req{Method: "GET", Path: exp.StatusURL + "/download?token=the-token"})
	if string(dl.Body) != "PK-archive" || dl.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %q %v", dl.Body, dl.Header)
	}
	if got := e.do(req{Method: "GET", Path: exp.StatusURL + "/download?token=wrong"}); got.Code != http.StatusNotFound {
		t.Errorf("wrong token: %d, want 404", got.Code)
	}
	if _, err := e.Store.Pool.Exec(context.Background(), `UPDATE data_exports SET expires_at = now() - interval '1 second' WHERE id = $1`, exp.ID); err != nil {
		t.Fatal(err)
	}
	gone := e.do(req{Method: "GET", Path: exp.StatusURL + "/download?token=the-token"})
	if gone.Code != http.StatusGone || gone.ErrorCode(t) != "gone" {
		t.Errorf("expired link: %d %s, want 410 gone", gone.Code, gone.Body)
	}
}

func TestErasureAPI(t *testing.T) {
	t.Parallel()
	e, flows := newDataRightsEnv(t)
	c, seller, admin := e.newCustomer(), e.newSeller(), e.newAdmin()
	erasures := func() int {
		var n int
		if err := e.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM erasures`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	for _, tc := range []struct {
		name string
		r    req
		want int
	}{
		{"no body", req{Method: "DELETE", Path: "/api/v1/users/me", Token: c.Token}, http.StatusBadRequest},
		{"wrong password", req{Method: "DELETE", Path: "/api/v1/users/me", Token: c.Token, Body: map[string]any{"current_password": "not-it-at-all"}}, http.StatusUnprocessableEntity},
		{"not signed in", req{Method: "DELETE", Path: "/api/v1/users/me", Body: map[string]any{"current_password": c.Password}}, http.StatusUnauthorized},
		{"a seller erasing itself", req{Method: "DELETE", Path: "/api/v1/users/me", Token: seller.Token, Body: map[string]any{"current_password": seller.Password}}, http.StatusConflict},
		{"a customer using the admin action", req{Method: "POST", Path: "/api/v1/admin/users/" + c.ID + "/erase", Token: c.Token}, http.StatusForbidden},
		{"an admin erasing an unknown user", req{Method: "POST", Path: "/api/v1/admin/users/00000000-0000-0000-0000-000000000000/erase", Token: admin.Token}, http.StatusNotFound},
		{"an admin erasing a malformed id", req{Method: "POST", Path: "/api/v1/admin/users/x/erase", Token: admin.Token}, http.StatusBadRequest},
		{"no erasure to show", req{Method: "GET", Path: "/api/v1/admin/users/" + c.ID + "/erasure", Token: admin.Token}, http.StatusNotFound},
	} {
		if got := e.do(tc.r); got.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, got.Code, got.Body, tc.want)
		}
	}
	if n := erasures(); n != 0 || len(flows.erasures) != 0 {
		t.Fatalf("bad requests recorded %d erasures, started %v", n, flows.erasures)
	}

	res := e.mustDo(http.StatusAccepted, req{Method: "DELETE", Path: "/api/v1/users/me", Token: c.Token,
		Body: map[string]any{"current_password": c.Password}})
	var er store.Erasure
	res.JSON(t, &er)
	if er.UserID != c.ID || er.Status != store.ErasureRunning || len(flows.actors) != 1 || flows.actors[0].AccountID != c.ID || flows.actors[0].IP != "" {
		t.Fatalf("erasure %+v, actors %+v", er, flows.actors)
	}
	// Signed out at once: the token no longer works.
	if got := e.do(req{Method: "GET", Path: "/api/v1/users/me", Token: c.Token}); got.Code != http.StatusUnauthorized {
		t.Errorf("token after erasure: %d, want 401", got.Code)
	}
	// The admin asking again finds the same erasure (the workflow start is idempotent too).
	e.mustDo(http.StatusAccepted, req{Method: "POST", Path: "/api/v1/admin/users/" + c.ID + "/erase", Token: admin.Token})
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/admin/users/" + c.ID + "/erasure", Token: admin.Token})
	if n := erasures(); n != 1 || len(flows.erasures) != 2 || flows.erasures[1] != c.ID {
		t.Fatalf("%d erasures, started %v; want one erasure", n, flows.erasures)
	}
	if got := e.do(req{Method: "POST", Path: "/api/v1/admin/users/" + seller.ID + "/erase", Token: admin.Token}); got.Code != http.StatusConflict {
		t.Errorf("admin erasing a seller: %d, want 409", got.Code)
	}
}
