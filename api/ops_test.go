package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"shopflow/api"
)

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/healthz"})
	var ready struct {
		Status          string
		Checks          map[string]struct{ Status string }
		PaymentProvider string `json:"payment_provider"`
		Warnings        []string
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/readyz"}).JSON(t, &ready)
	if ready.Status != "ready" || ready.Checks["postgres"].Status != "ok" || ready.Checks["redis"].Status != "ok" {
		t.Fatalf("readyz = %+v", ready)
	}
	// The sandbox is a choice an operator must see: ready, but saying no money is taken.
	if ready.PaymentProvider != "sandbox" || len(ready.Warnings) != 1 || !strings.Contains(ready.Warnings[0], "without taking money") {
		t.Errorf("readyz with the sandbox: provider %q, warnings %q", ready.PaymentProvider, ready.Warnings)
	}

	srv := e.rebuilt(t, func(d *api.Deps) {
		d.Checks = append(d.Checks, api.Check{Name: "temporal", Probe: func(context.Context) error { return errors.New("connection refused") }})
	}).Server
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"temporal":{"status":"down","error":"connection refused"}`) {
		t.Fatalf("readyz with temporal down: %d %s", rec.Code, rec.Body)
	}
	// Liveness does not depend on dependencies.
	rec = httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 {
		t.Fatalf("healthz with temporal down: %d", rec.Code)
	}
}

func TestMetricsCountRequestsByRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do(req{Method: "GET", Path: "/api/v1/categories/12345"})
	e.do(req{Method: "GET", Path: "/no/such/route"})
	body := string(e.mustDo(http.StatusOK, req{Method: "GET", Path: "/metrics"}).Body)
	for _, want := range []string{
		`shopflow_http_requests_total{method="GET",route="/api/v1/categories/:id",status="404"} 1`,
		`shopflow_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`shopflow_http_request_duration_seconds_bucket{method="GET",route="/api/v1/categories/:id"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	given := e.do(req{Method: "GET", Path: "/healthz", Header: map[string]string{"X-Request-ID": "abc-123"}})
	if given.Header.Get("X-Request-ID") != "abc-123" {
		t.Fatalf("client request id not echoed: %q", given.Header.Get("X-Request-ID"))
	}
	made := e.do(req{Method: "GET", Path: "/healthz"})
	unsafe := e.do(req{Method: "GET", Path: "/healthz", Header: map[string]string{"X-Request-ID": "bad id\twith spaces"}})
	if len(made.Header.Get("X-Request-ID")) != 36 || len(unsafe.Header.Get("X-Request-ID")) != 36 {
		t.Fatalf("generated ids: %q %q", made.Header.Get("X-Request-ID"), unsafe.Header.Get("X-Request-ID"))
	}
}

func TestErrorShapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if res := e.do(req{Method: "GET", Path: "/api/v1/nothing"}); res.Code != 404 || res.ErrorCode(t) != "not_found" {
		t.Fatalf("unknown route: %d %s", res.Code, res.Body)
	}
	if res := e.do(req{Method: "DELETE", Path: "/api/v1/auth/login"}); res.Code != 405 || res.ErrorCode(t) != "method_not_allowed" {
		t.Fatalf("wrong method: %d %s", res.Code, res.Body)
	}
}

// TestInternalErrorsAreNotLeaked breaks the database under a live server: the client gets a
// generic 500 with the request id, the log gets the cause.
func TestInternalErrorsAreNotLeaked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newCustomer()
	var logs strings.Builder
	srv := e.rebuilt(t, func(d *api.Deps) { d.Logger = slog.New(slog.NewTextHandler(&logs, nil)) }).Server
	if _, err := e.Store.Pool.Exec(t.Context(), `ALTER TABLE users RENAME TO users_gone`); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/api/v1/users/me", nil)
	r.Header.Set("Authorization", "Bearer "+c.Token)
	r.Header.Set("X-Request-ID", "req-500")
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, r)
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 500 || !strings.Contains(string(body), `"code":"internal"`) || !strings.Contains(string(body), "req-500") {
		t.Fatalf("got %d %s", rec.Code, body)
	}
	if strings.Contains(string(body), "users") || strings.Contains(string(body), "SQLSTATE") {
		t.Fatalf("500 leaks internals: %s", body)
	}
	if !strings.Contains(logs.String(), "users") || !strings.Contains(logs.String(), "req-500") {
		t.Fatalf("log lacks the cause or request id: %s", logs.String())
	}
}

// The access log: a line per request at info (warn for 4xx), except the hot public top-sellers
// read, whose successes are logged at debug only (a billion cache hits a day are counted in the
// metrics, not logged); its errors are logged as usual. The metrics count every request.
func TestAccessLogQuietsHotReadsButNotTheirErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var cat int64
	if err := e.Store.Pool.QueryRow(t.Context(), `INSERT INTO categories (name, slug) VALUES ('Quiet', 'quiet') RETURNING id`).Scan(&cat); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	srv := e.rebuilt(t, func(d *api.Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}).Server
	serve := func(path string) int {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code
	}
	ok := fmt.Sprintf("/api/v1/categories/%d/top-sellers", cat)
	for range 3 {
		if code := serve(ok); code != http.StatusOK {
			t.Fatalf("GET %s: %d", ok, code)
		}
	}
	if code := serve("/api/v1/categories/999999999/top-sellers"); code != http.StatusNotFound {
		t.Fatalf("unknown category: %d", code)
	}
	if code := serve(fmt.Sprintf("/api/v1/categories/%d", cat)); code != http.StatusOK {
		t.Fatalf("category: %d", code)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var topSellers, others int
	for _, l := range lines {
		switch {
		case strings.Contains(l, `"route":"/api/v1/categories/:id/top-sellers"`):
			topSellers++
			if !strings.Contains(l, `"status":404`) || !strings.Contains(l, `"level":"WARN"`) {
				t.Errorf("top-sellers line that is not its 404 warning: %s", l)
			}
		case strings.Contains(l, `"route":"/api/v1/categories/:id"`):
			others++
		}
	}
	if topSellers != 1 || others != 1 {
		t.Errorf("%d top-sellers lines (want the 404 only), %d category lines (want 1):\n%s", topSellers, others, logs.String())
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if want := `shopflow_http_requests_total{method="GET",route="/api/v1/categories/:id/top-sellers",status="200"} 3`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %s", want)
	}
}
