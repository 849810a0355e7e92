package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"shopflow/auth"
	"shopflow/config"
)

// TestResponsesMatchSpec drives the implemented routes through success and failure; e.do checks
// every response against api/openapi.yaml. Responses the spec router cannot place (an unknown
// path, a wrong method) are checked here against the Error schema directly.
func TestResponsesMatchSpec(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		c.BodyLimitBytes = 4096
		c.LoginLimitPerAccount = 3
	})
	doc, _, err := loadSpec()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	const pw = "a-long-password-1"

	t.Run("register", func(t *testing.T) {
		e := specEnvFor(e, t)
		email := "Reg-" + randHex(4) + "@Example.com"
		res := e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/auth/register",
			Body: map[string]any{"email": email, "password": pw, "name": "Riley"}})
		if loc := res.Header.Get("Location"); loc != "/api/v1/users/me" {
			t.Errorf("Location %q", loc)
		}
		var u map[string]any
		res.JSON(t, &u)
		if u["role"] != "customer" || u["seller_id"] != nil || u["store_name"] != nil {
			t.Errorf("customer: %v", u)
		}

		store := "Shop " + randHex(4)
		res = e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/auth/register",
			Body: map[string]any{"email": "s-" + randHex(4) + "@example.com", "password": pw, "role": "seller", "store_name": store}})
		res.JSON(t, &u)
		if u["role"] != "seller" || u["seller_id"] == nil || u["store_name"] != store {
			t.Errorf("seller: %v", u)
		}

		for _, c := range []struct {
			name string
			want int
			code string
			body any
		}{
			{"email taken, other case", 409, "conflict", map[string]any{"email": strings.ToLower(email), "password": pw}},
			{"store name taken", 409, "conflict", map[string]any{"email": "s-" + randHex(4) + "@example.com", "password": pw, "role": "seller", "store_name": strings.ToUpper(store)}},
			{"malformed JSON", 400, "invalid", `{"email":`},
			{"unknown field", 400, "invalid", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "admin": true}},
			{"wrong type", 400, "invalid", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": 1234567890}},
			{"not an object", 400, "invalid", `[1,2]`},
			{"blank body", 400, "invalid", " "},
			{"short password", 422, "validation", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": "short"}},
			{"bad email", 422, "validation", map[string]any{"email": "not-an-email", "password": pw}},
			{"admin role", 422, "validation", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "role": "admin"}},
			{"seller without store", 422, "validation", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "role": "seller"}},
			{"seller with blank store", 422, "validation", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "role": "seller", "store_name": "   "}},
			{"customer with store", 422, "validation", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "store_name": "Nope"}},
			{"too large", 413, "too_large", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "name": strings.Repeat("n", 5000)}},
		} {
			res := e.do(req{Method: "POST", Path: "/api/v1/auth/register", Body: c.body})
			if res.Code != c.want || res.ErrorCode(t) != c.code {
				t.Errorf("%s: %d %s, want %d %s", c.name, res.Code, res.Body, c.want, c.code)
			}
		}
		res = e.mustDo(http.StatusUnprocessableEntity, req{Method: "POST", Path: "/api/v1/auth/register",
			Body: map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "role": "seller"}})
		var eb struct {
			Error struct {
				Details struct {
					Fields map[string]string `json:"fields"`
				} `json:"details"`
			} `json:"error"`
		}
		res.JSON(t, &eb)
		if eb.Error.Details.Fields["store_name"] == "" {
			t.Errorf("422 without details.fields.store_name: %s", res.Body)
		}
	})

	t.Run("login", func(t *testing.T) {
		e := specEnvFor(e, t)
		email := "l-" + randHex(4) + "@example.com"
		e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/auth/register", Body: map[string]any{"email": email, "password": pw}})

		res := e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": strings.ToUpper(email), "password": pw}})
		var tok map[string]any
		res.JSON(t, &tok)
		if tok["token_type"] != "Bearer" || tok["access_token"] == "" {
			t.Errorf("token: %v", tok)
		}

		e.mustDo(http.StatusBadRequest, req{Method: "POST", Path: "/api/v1/auth/login", Body: `{"email":1}`})
		e.mustDo(http.StatusUnprocessableEntity, req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": email}})
		e.mustDo(http.StatusUnauthorized, req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": "nobody-" + randHex(4) + "@example.com", "password": pw}})

		// The per-account budget is 3: one login above, two wrong passwords, then refused.
		victim := map[string]any{"email": email, "password": "wrong-password-1"}
		e.mustDo(http.StatusUnauthorized, req{Method: "POST", Path: "/api/v1/auth/login", Body: victim})
		e.mustDo(http.StatusUnauthorized, req{Method: "POST", Path: "/api/v1/auth/login", Body: victim})
		res = e.mustDo(http.StatusTooManyRequests, req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": email, "password": pw}})
		if res.ErrorCode(t) != "rate_limited" || res.Header.Get("Retry-After") == "" {
			t.Errorf("429 without rate_limited and Retry-After: %v %s", res.Header, res.Body)
		}
	})

	t.Run("login and readyz with Redis down", func(t *testing.T) {
		dead := specDeadRedisEnv(e, t)
		res := dead.mustDo(http.StatusServiceUnavailable, req{Method: "POST", Path: "/api/v1/auth/login",
			Body: map[string]any{"email": "x@example.com", "password": pw}})
		if res.ErrorCode(t) != "unavailable" {
			t.Errorf("login with Redis down: %s", res.Body)
		}
		res = dead.mustDo(http.StatusServiceUnavailable, req{Method: "GET", Path: "/readyz"})
		var ready struct {
			Status string                                    `json:"status"`
			Checks map[string]struct{ Status, Error string } `json:"checks"`
		}
		res.JSON(t, &ready)
		if ready.Status != "not_ready" || ready.Checks["redis"].Status != "down" || ready.Checks["redis"].Error == "" ||
			ready.Checks["postgres"].Status != "ok" {
			t.Errorf("readyz with Redis down: %s", res.Body)
		}
	})

	t.Run("users/me", func(t *testing.T) {
		e := specEnvFor(e, t)
		for _, a := range []account{e.newCustomer(), e.newSeller(), e.newAdmin()} {
			res := e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/users/me", Token: a.Token})
			var u map[string]any
			res.JSON(t, &u)
			if u["id"] != a.ID || u["role"] != a.Role {
				t.Errorf("me as %s: %s", a.Role, res.Body)
			}
		}

		res := e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: "/api/v1/users/me"})
		if res.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without a token has no WWW-Authenticate")
		}
		e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: "/api/v1/users/me", Token: "not-a-jwt"})
		e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: "/api/v1/users/me", Header: map[string]string{"Authorization": "Basic dXNlcjpwdw=="}})

		c := e.newCustomer()
		past := &auth.Tokens{Secret: e.Tokens.Secret, Issuer: e.Tokens.Issuer, TTL: time.Minute,
			Now: func() time.Time { return time.Now().Add(-time.Hour) }}
		expired, _, err := past.Issue(c.ID, c.Role, "")
		if err != nil {
			t.Fatal(err)
		}
		res = e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: "/api/v1/users/me", Token: expired})
		if !strings.Contains(string(res.Body), "expired") {
			t.Errorf("expired token: %s", res.Body)
		}

		if _, err := e.Store.Pool.Exec(context.Background(), `DELETE FROM users WHERE id = $1`, c.ID); err != nil {
			t.Fatal(err)
		}
		e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: "/api/v1/users/me", Token: c.Token})
	})

	t.Run("bad token on public routes", func(t *testing.T) {
		e := specEnvFor(e, t)
		for _, p := range []string{"/api/v1/categories", "/api/v1/products", "/api/v1/products/1"} {
			res := e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: p, Token: "not-a-jwt"})
			if res.ErrorCode(t) != "unauthorized" {
				t.Errorf("%s: %s", p, res.Body)
			}
		}
		// Probes ignore Authorization: a stale header must never make a live process look dead.
		e.mustDo(http.StatusOK, req{Method: "GET", Path: "/healthz", Token: "not-a-jwt"})
	})

	t.Run("operations", func(t *testing.T) {
		e := specEnvFor(e, t)
		res := e.mustDo(http.StatusOK, req{Method: "GET", Path: "/healthz"})
		if !strings.Contains(string(res.Body), `"ok"`) {
			t.Errorf("healthz: %s", res.Body)
		}
		res = e.mustDo(http.StatusOK, req{Method: "GET", Path: "/readyz"})
		if !strings.Contains(string(res.Body), `"ready"`) {
			t.Errorf("readyz: %s", res.Body)
		}
		res = e.mustDo(http.StatusOK, req{Method: "GET", Path: "/metrics"})
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") ||
			!strings.Contains(string(res.Body), "shopflow_http_requests_total") {
			t.Errorf("metrics: %s %.300s", res.Header.Get("Content-Type"), res.Body)
		}
		res = e.mustDo(http.StatusOK, req{Method: "GET", Path: "/openapi.yaml"})
		if len(res.Body) == 0 {
			t.Error("empty /openapi.yaml")
		}
		res = e.mustDo(http.StatusOK, req{Method: "GET", Path: "/healthz", Header: map[string]string{"X-Request-ID": "probe-42"}})
		if res.Header.Get("X-Request-ID") != "probe-42" {
			t.Errorf("X-Request-ID not echoed: %q", res.Header.Get("X-Request-ID"))
		}
	})

	t.Run("unknown route", func(t *testing.T) {
		e := specEnvFor(e, t)
		for _, p := range []string{"/api/v1/nope", "/nope", "/api/v2/products"} {
			res := e.mustDo(http.StatusNotFound, req{Method: "GET", Path: p})
			specAssertErrorResponse(t, doc, "NotFound", res)
			if res.ErrorCode(t) != "not_found" {
				t.Errorf("%s: %s", p, res.Body)
			}
		}
	})

	t.Run("wrong method", func(t *testing.T) {
		e := specEnvFor(e, t)
		for _, c := range []struct{ method, path, allow string }{
			{"POST", "/healthz", "GET"},
			{"DELETE", "/api/v1/auth/login", "POST"},
			{"PUT", "/api/v1/users/me", "GET"},
		} {
			res := e.mustDo(http.StatusMethodNotAllowed, req{Method: c.method, Path: c.path})
			specAssertErrorResponse(t, doc, "MethodNotAllowed", res)
			if res.ErrorCode(t) != "method_not_allowed" || !strings.Contains(res.Header.Get("Allow"), c.allow) {
				t.Errorf("%s %s: Allow %q %s", c.method, c.path, res.Header.Get("Allow"), res.Body)
			}
		}
	})
}
