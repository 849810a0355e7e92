package api_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"shopflow/auth"
	"shopflow/config"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/auth/register",
		Body: map[string]any{"email": "Taken@Example.com", "password": "a-long-password-1"}})

	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"customer by default", map[string]any{"email": "new@example.com", "password": "a-long-password-1"}, 201, "", ""},
		{"seller with store", map[string]any{"email": "seller@example.com", "password": "a-long-password-1", "role": "seller", "store_name": "Acme"}, 201, "", ""},
		{"email taken, other case", map[string]any{"email": "taken@example.com", "password": "a-long-password-1"}, 409, "conflict", ""},
		{"store name taken, other case", map[string]any{"email": "s2@example.com", "password": "a-long-password-1", "role": "seller", "store_name": "ACME"}, 409, "conflict", ""},
		{"seller without store", map[string]any{"email": "s3@example.com", "password": "a-long-password-1", "role": "seller"}, 422, "validation", "store_name"},
		{"seller with blank store", map[string]any{"email": "s4@example.com", "password": "a-long-password-1", "role": "seller", "store_name": "   "}, 422, "validation", "store_name"},
		{"customer with store", map[string]any{"email": "c1@example.com", "password": "a-long-password-1", "store_name": "X"}, 422, "validation", "store_name"},
		{"self-made admin", map[string]any{"email": "c2@example.com", "password": "a-long-password-1", "role": "admin"}, 422, "validation", "role"},
		{"missing email", map[string]any{"password": "a-long-password-1"}, 422, "validation", "email"},
		{"not an email", map[string]any{"email": "nobody", "password": "a-long-password-1"}, 422, "validation", "email"},
		{"short password", map[string]any{"email": "c3@example.com", "password": "short"}, 422, "validation", "password"},
		{"password over bcrypt limit", map[string]any{"email": "c4@example.com", "password": strings.Repeat("p", 73)}, 422, "validation", "password"},
		{"name too long", map[string]any{"email": "c5@example.com", "password": "a-long-password-1", "name": strings.Repeat("n", 201)}, 422, "validation", "name"},
		{"email wrong type", map[string]any{"email": 42, "password": "a-long-password-1"}, 400, "invalid", "email"},
		{"unknown field", map[string]any{"email": "c6@example.com", "password": "a-long-password-1", "is_admin": true}, 400, "invalid", "is_admin"},
		{"malformed JSON", `{"email": "x@example.com",`, 400, "invalid", ""},
		{"array instead of object", `[]`, 400, "invalid", ""},
		{"two objects", `{"email":"c7@example.com","password":"a-long-password-1"}{}`, 400, "invalid", ""},
		{"empty body", "", 400, "invalid", ""},
		{"body over 1 MiB", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "too_large", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(req{Method: "POST", Path: "/api/v1/auth/register", Body: tc.body})
			if res.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", res.Code, tc.status, res.Body)
			}
			if tc.code == "" {
				return
			}
			var body struct {
				Error struct {
					Code    string
					Details struct{ Fields map[string]string }
				}
			}
			res.JSON(t, &body)
			if body.Error.Code != tc.code {
				t.Fatalf("code %q, want %q", body.Error.Code, tc.code)
			}
			if tc.field != "" && body.Error.Details.Fields[tc.field] == "" {
				t.Fatalf("details.fields lacks %q: %s", tc.field, res.Body)
			}
		})
	}
	var n int
	if err := e.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM users`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("users after the table = %d (%v), want 3: rejected requests must create nothing", n, err)
	}
}

func TestLoginAndMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.newSeller()
	if s.Role != "seller" || s.SellerID == nil || s.StoreName == nil {
		t.Fatalf("seller login user = %+v", s.User)
	}
	res := e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/users/me", Token: s.Token})
	if strings.Contains(string(res.Body), "password") {
		t.Fatalf("users/me leaks the password hash: %s", res.Body)
	}

	upper := e.login(strings.ToUpper(s.Email), s.Password)
	if upper.ID != s.ID {
		t.Fatal("login is case-sensitive on email")
	}

	wrong := e.do(req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": s.Email, "password": "not-the-password"}})
	unknown := e.do(req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": "ghost@example.com", "password": "not-the-password"}})
	if wrong.Code != 401 || unknown.Code != 401 {
		t.Fatalf("wrong password %d, unknown email %d; want 401 both", wrong.Code, unknown.Code)
	}
	if string(wrong.Body) != string(unknown.Body) {
		t.Fatalf("responses reveal which emails exist:\n%s\n%s", wrong.Body, unknown.Body)
	}
}

func TestTokensRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newCustomer()
	expired, _, _ := (&auth.Tokens{Secret: []byte(e.Config.JWTSecret), Issuer: e.Config.JWTIssuer, TTL: time.Minute,
		Now: func() time.Time { return time.Now().Add(-time.Hour) }}).Issue(c.ID, "customer", "")
	foreign, _, _ := (&auth.Tokens{Secret: []byte("some-other-secret-some-other-secret"), Issuer: e.Config.JWTIssuer, TTL: time.Hour}).Issue(c.ID, "admin", "")
	parts := strings.Split(c.Token, ".")
	algNone := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	ghost, _, _ := e.Tokens.Issue("00000000-0000-0000-0000-000000000000", "customer", "")

	cases := []struct {
		name, header, message string
	}{
		{"no token", "", "authentication required"},
		{"expired", "Bearer " + expired, "token expired"},
		{"signed with another key", "Bearer " + foreign, "invalid token"},
		{"alg none", "Bearer " + algNone, "invalid token"},
		{"not bearer", "Basic " + c.Token, "Bearer"},
		{"empty bearer", "Bearer ", "Bearer"},
		{"garbage", "Bearer abc.def.ghi", "invalid token"},
		{"account deleted", "Bearer " + ghost, "no longer exists"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := req{Method: "GET", Path: "/api/v1/users/me"}
			if tc.header != "" {
				r.Header = map[string]string{"Authorization": tc.header}
			}
			res := e.do(r)
			if res.Code != 401 || res.ErrorCode(t) != "unauthorized" || !strings.Contains(string(res.Body), tc.message) {
				t.Fatalf("status %d body %s; want 401 mentioning %q", res.Code, res.Body, tc.message)
			}
		})
	}
	// A bad token on a public route is still refused rather than treated as anonymous.
	if res := e.do(req{Method: "GET", Path: "/api/v1/products", Header: map[string]string{"Authorization": "Bearer " + foreign}}); res.Code != 401 {
		t.Fatalf("public route with forged token: %d", res.Code)
	}
}

func TestRoleMiddleware(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newCustomer()
	s := e.newSeller()
	cases := []struct {
		name   string
		r      req
		status int
	}{
		{"anonymous creates category", req{Method: "POST", Path: "/api/v1/categories", Body: map[string]any{"name": "X"}}, 401},
		{"customer creates category", req{Method: "POST", Path: "/api/v1/categories", Body: map[string]any{"name": "X"}, Token: c.Token}, 403},
		{"seller creates category", req{Method: "POST", Path: "/api/v1/categories", Body: map[string]any{"name": "X"}, Token: s.Token}, 403},
		{"customer creates product", req{Method: "POST", Path: "/api/v1/products", Body: map[string]any{"name": "X"}, Token: c.Token}, 403},
		{"seller reads a cart", req{Method: "GET", Path: "/api/v1/cart", Token: s.Token}, 403},
		{"anonymous reads a cart", req{Method: "GET", Path: "/api/v1/cart"}, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(tc.r)
			if res.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", res.Code, tc.status, res.Body)
			}
			if tc.status == 401 && res.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

func TestLoginRateLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) {
		c.LoginLimitPerAccount = 3
		c.LoginLimitPerIP = 5
		c.LoginLimitPeriod = time.Hour
	})
	c := e.newCustomer() // one login spent on this account and on the IP
	attempt := func(email, password string) response {
		return e.do(req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": email, "password": password}})
	}
	for i := 0; i < 2; i++ {
		if res := attempt(c.Email, "wrong-password"); res.Code != 401 {
			t.Fatalf("attempt %d: %d", i+2, res.Code)
		}
	}
	// The account's budget is spent: even the right password is refused now, which is the point.
	res := attempt(strings.ToUpper(c.Email), c.Password)
	if res.Code != 429 || res.ErrorCode(t) != "rate_limited" || res.Header.Get("Retry-After") == "" {
		t.Fatalf("4th attempt on the account: %d %s (Retry-After %q)", res.Code, res.Body, res.Header.Get("Retry-After"))
	}
	// Other accounts from the same IP still get through until the IP budget (5, of which the
	// refused attempt above spent one) is spent.
	if res := attempt("other1@example.com", "whatever-pass"); res.Code != 401 {
		t.Fatalf("other account: %d", res.Code)
	}
	if res := attempt("other2@example.com", "whatever-pass"); res.Code != 429 {
		t.Fatalf("6th attempt from the IP: %d, want 429", res.Code)
	}
}
