package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/redis/go-redis/v9"

	"shopflow/api"
)

// TestResponsesMatchSpecRejectsMismatches is the negative control: the validation the harness
// runs on every response does fail on responses that break the document.
func TestResponsesMatchSpecRejectsMismatches(t *testing.T) {
	jsonHeader := func() http.Header {
		h := http.Header{}
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("X-Request-ID", "req-1")
		return h
	}
	textHeader := http.Header{}
	textHeader.Set("Content-Type", "text/plain")
	textHeader.Set("X-Request-ID", "r")
	user := func(edit func(map[string]any)) []byte {
		u := map[string]any{"id": "0b7e6a8c-3f1e-4b8a-9d2a-2c7f4f0e9a11", "email": "a@example.com", "name": "A",
			"role": "seller", "seller_id": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f", "store_name": "S", "created_at": "2025-01-02T03:04:05.123456Z"}
		if edit != nil {
			edit(u)
		}
		b, _ := json.Marshal(u)
		return b
	}
	cases := []struct {
		name         string
		method, path string
		status       int
		header       http.Header
		body         []byte
		ok           bool
	}{
		{"valid user (positive control)", "GET", "/api/v1/users/me", 200, jsonHeader(), user(nil), true},
		{"user missing name", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { delete(u, "name") }), false},
		{"user id of wrong type", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { u["id"] = 42 }), false},
		{"user id not a uuid", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { u["id"] = "user-42" }), false},
		{"seller_id not a uuid", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { u["seller_id"] = "s1" }), false},
		{"role outside the enum", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { u["role"] = "root" }), false},
		{"created_at not a date-time", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { u["created_at"] = "yesterday" }), false},
		{"extra field is fine", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { u["avatar"] = "x" }), true},
		{"no X-Request-ID", "GET", "/api/v1/users/me", 200, http.Header{"Content-Type": {"application/json"}}, user(nil), false},
		{"undocumented content type", "GET", "/api/v1/users/me", 200, textHeader, user(nil), false},
		{"error body on 200", "GET", "/api/v1/users/me", 200, jsonHeader(), []byte(`{"error":{"code":"internal","message":"x"}}`), false},
		{"error with unknown code", "GET", "/api/v1/users/me", 401, jsonHeader(), []byte(`{"error":{"code":"nope","message":"x"}}`), false},
		{"error without message", "GET", "/api/v1/users/me", 500, jsonHeader(), []byte(`{"error":{"code":"internal"}}`), false},
		{"undocumented status, Error body (default)", "GET", "/api/v1/users/me", 418, jsonHeader(), []byte(`{"error":{"code":"conflict","message":"x"}}`), true},
		{"429 without Retry-After", "POST", "/api/v1/auth/login", 429, jsonHeader(), []byte(`{"error":{"code":"rate_limited","message":"x"}}`), false},
		{"201 register without Location", "POST", "/api/v1/auth/register", 201, jsonHeader(), user(nil), false},
		{"root category", "GET", "/api/v1/categories/1", 200, jsonHeader(),
			[]byte(`{"id":1,"parent_id":null,"name":"Shoes","slug":"shoes","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05Z"}`), true},
		{"category without parent_id", "GET", "/api/v1/categories/1", 200, jsonHeader(),
			[]byte(`{"id":1,"name":"Shoes","slug":"shoes","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05Z"}`), false},
		{"category with a bad slug", "GET", "/api/v1/categories/1", 200, jsonHeader(),
			[]byte(`{"id":1,"parent_id":null,"name":"Shoes","slug":"Shoes!","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05Z"}`), false},
		{"empty cart", "GET", "/api/v1/cart", 200, jsonHeader(),
			[]byte(`{"items":[],"item_count":0,"subtotal_cents":0,"currency":null,"updated_at":null}`), true},
		{"cart with a float subtotal", "GET", "/api/v1/cart", 200, jsonHeader(),
			[]byte(`{"items":[],"item_count":0,"subtotal_cents":1.5,"currency":null,"updated_at":null}`), false},
		{"cart with a lower-case currency", "GET", "/api/v1/cart", 200, jsonHeader(),
			[]byte(`{"items":[],"item_count":0,"subtotal_cents":0,"currency":"eur","updated_at":null}`), false},
		{"last product page", "GET", "/api/v1/products", 200, jsonHeader(), []byte(`{"items":[],"next_cursor":null}`), true},
		{"product page without next_cursor", "GET", "/api/v1/products", 200, jsonHeader(), []byte(`{"items":[]}`), false},
		{"readyz with an unknown status", "GET", "/readyz", 503, jsonHeader(), []byte(`{"status":"meh","checks":{}}`), false},
	}
	for _, c := range cases {
		err := specValidateResponse(t, c.method, c.path, c.status, c.header, c.body)
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: rejected: %v", c.name, err)
		case !c.ok && err == nil:
			t.Errorf("%s: accepted, but it breaks api/openapi.yaml", c.name)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Helpers (prefixed spec* to stay clear of other test files' names)

// specEnvFor is e reporting to t, for use inside a subtest.
func specEnvFor(e *testEnv, t testing.TB) *testEnv {
	c := *e
	c.t = t
	return &c
}

// specDeadRedisEnv is e's API with Redis unreachable (and a readiness check that says so).
func specDeadRedisEnv(e *testEnv, t testing.TB) *testEnv {
	t.Helper()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 300 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })
	return e.rebuilt(t, func(d *api.Deps) {
		d.Redis = dead
		d.Checks = []api.Check{
			{Name: "postgres", Probe: e.Store.Ping},
			{Name: "redis", Probe: func(ctx context.Context) error { return dead.Ping(ctx).Err() }},
		}
	})
}

// specValidateResponse runs the harness's validation on a made-up response.
func specValidateResponse(t testing.TB, method, path string, status int, header http.Header, body []byte) error {
	t.Helper()
	_, router, err := loadSpec()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	hr := httptest.NewRequest(method, "http://localhost"+path, nil)
	route, params, err := router.FindRoute(hr)
	if err != nil {
		t.Fatalf("%s %s: not in the spec router: %v", method, path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status:  status,
		Header:  header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// specAssertErrorResponse checks res against components.responses[name], for responses the spec
// router cannot attribute to an operation.
func specAssertErrorResponse(t testing.TB, doc *openapi3.T, name string, res response) {
	t.Helper()
	ref := doc.Components.Responses[name]
	if ref == nil || ref.Value == nil {
		t.Fatalf("components.responses.%s is missing", name)
	}
	for h, hdr := range ref.Value.Headers {
		if hdr.Value.Required && res.Header.Get(h) == "" {
			t.Errorf("%s: header %s missing", name, h)
		}
	}
	mt := ref.Value.Content.Get(res.Header.Get("Content-Type"))
	if mt == nil || mt.Schema == nil {
		t.Fatalf("%s: content type %q not documented", name, res.Header.Get("Content-Type"))
	}
	var v any
	res.JSON(t, &v)
	if err := mt.Schema.Value.VisitJSON(v, openapi3.VisitAsResponse()); err != nil {
		t.Errorf("%d does not match components.responses.%s: %v\nbody: %s", res.Code, name, err, res.Body)
	}
}
