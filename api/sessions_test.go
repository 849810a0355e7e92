package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/api"
	"shopflow/auth"
	"shopflow/config"
	"shopflow/store"
)

// session is one login's token pair.
type session struct {
	AccessToken      string     `json:"access_token"`
	ExpiresAt        time.Time  `json:"expires_at"`
	RefreshToken     string     `json:"refresh_token"`
	RefreshExpiresAt time.Time  `json:"refresh_expires_at"`
	User             store.User `json:"user"`
}

func (e *testEnv) startSession(a account) session {
	e.t.Helper()
	var s session
	e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/auth/login",
		Body: map[string]any{"email": a.Email, "password": a.Password}}).JSON(e.t, &s)
	if s.RefreshToken == "" {
		e.t.Fatal("login answered no refresh_token")
	}
	return s
}

func (e *testEnv) refresh(token string) response {
	e.t.Helper()
	return e.do(req{Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]any{"refresh_token": token}})
}

// expectUnauthorized fails unless the token is refused on /users/me with a message holding want.
func (e *testEnv) expectUnauthorized(token, want string) {
	e.t.Helper()
	res := e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: "/api/v1/users/me", Token: token})
	if !strings.Contains(string(res.Body), want) {
		e.t.Fatalf("refused with %s, want a message mentioning %q", res.Body, want)
	}
}

func TestLoginIssuesShortAccessAndLongRefreshTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.AccessTokenTTL = 2 * time.Minute; c.RefreshTokenTTL = 48 * time.Hour })
	before := time.Now()
	s := e.startSession(e.newCustomer())
	if d := s.ExpiresAt.Sub(before); d < time.Minute || d > 2*time.Minute+5*time.Second {
		t.Errorf("access token lives %s, want SHOPFLOW_ACCESS_TOKEN_TTL (2m)", d)
	}
	if d := s.RefreshExpiresAt.Sub(before); d < 47*time.Hour || d > 48*time.Hour+5*time.Second {
		t.Errorf("refresh token lives %s, want SHOPFLOW_REFRESH_TOKEN_TTL (48h)", d)
	}
	// Defaults: 15 minutes and 720 hours.
	d := newEnv(t)
	s = d.startSession(d.newCustomer())
	if got := s.ExpiresAt.Sub(before); got > 15*time.Minute+5*time.Second {
		t.Errorf("default access token lives %s, want at most 15m", got)
	}
}

func TestRefreshRotatesAndReuseRevokesTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.startSession(e.newCustomer())

	var second session
	e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/auth/refresh",
		Body: map[string]any{"refresh_token": first.RefreshToken}}).JSON(t, &second)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == "" || second.User.ID != first.User.ID {
		t.Fatalf("refresh answered %+v; want a new pair for the same user", second)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/users/me", Token: second.AccessToken})

	// The first refresh token was retired; presenting it again is theft: the session ends.
	res := e.refresh(first.RefreshToken)
	if res.Code != http.StatusUnauthorized || !strings.Contains(string(res.Body), "already used") {
		t.Fatalf("reused refresh token: %d %s; want 401 already used", res.Code, res.Body)
	}
	e.expectUnauthorized(second.AccessToken, "session has ended")
	e.expectUnauthorized(first.AccessToken, "session has ended")
	if res := e.refresh(second.RefreshToken); res.Code != http.StatusUnauthorized {
		t.Fatalf("the thief's successor token still refreshes: %d %s", res.Code, res.Body)
	}
}

func TestRefreshRefusesExpiredAndUnknownTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.startSession(e.newCustomer())
	e.exec(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second'`)
	for token, want := range map[string]string{s.RefreshToken: "expired", "not-a-token": "invalid refresh token"} {
		res := e.refresh(token)
		if res.Code != http.StatusUnauthorized || !strings.Contains(string(res.Body), want) {
			t.Errorf("refresh %q: %d %s; want 401 mentioning %q", token, res.Code, res.Body, want)
		}
	}
	// An expired access token is refused like any other: 401, token expired.
	past := &auth.Tokens{Secret: e.Tokens.Secret, Issuer: e.Tokens.Issuer, Now: func() time.Time { return time.Now().Add(-time.Hour) }}
	expired, _, err := past.IssueAccess(auth.Access{UserID: s.User.ID, Role: s.User.Role}, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	e.expectUnauthorized(expired, "token expired")
}

func TestLogoutEndsOnlyThatSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newCustomer()
	phone, laptop := e.startSession(c), e.startSession(c)
	logout := func(refresh string) {
		t.Helper()
		e.mustDo(http.StatusNoContent, req{Method: "POST", Path: "/api/v1/auth/logout", Body: map[string]any{"refresh_token": refresh}})
	}
	logout(phone.RefreshToken)
	e.expectUnauthorized(phone.AccessToken, "session has ended")
	if res := e.refresh(phone.RefreshToken); res.Code != http.StatusUnauthorized {
		t.Fatalf("refresh after logout: %d %s", res.Code, res.Body)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/users/me", Token: laptop.AccessToken})
	e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]any{"refresh_token": laptop.RefreshToken}})
	logout(phone.RefreshToken) // again: nothing left to end
	logout("not-a-token")
	e.mustDo(http.StatusBadRequest, req{Method: "POST", Path: "/api/v1/auth/logout"})
}

func TestPasswordChangeRevokesEveryToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newCustomer()
	other := e.startSession(c)
	path := "/api/v1/users/me/password"
	res := e.mustDo(http.StatusUnprocessableEntity, req{Method: "POST", Path: path, Token: c.Token,
		Body: map[string]any{"current_password": "not-the-password", "new_password": "a-new-long-password"}})
	if !strings.Contains(string(res.Body), "current_password") {
		t.Fatalf("wrong current password: %s; want a field error on current_password", res.Body)
	}
	var fresh session
	e.mustDo(http.StatusOK, req{Method: "POST", Path: path, Token: c.Token,
		Body: map[string]any{"current_password": c.Password, "new_password": "a-new-long-password"}}).JSON(t, &fresh)

	e.expectUnauthorized(c.Token, "revoked")
	e.expectUnauthorized(other.AccessToken, "revoked")
	if res := e.refresh(other.RefreshToken); res.Code != http.StatusUnauthorized {
		t.Fatalf("refresh of a session from before the change: %d %s", res.Code, res.Body)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/users/me", Token: fresh.AccessToken})
	e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]any{"refresh_token": fresh.RefreshToken}})
	e.mustDo(http.StatusUnauthorized, req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": c.Email, "password": c.Password}})
	e.login(c.Email, "a-new-long-password")
}

// The role comes from the database: a role change revokes the account's tokens, including
// tokens of the old shape (720 h, role baked in, no session), and a role claim is never trusted.
func TestRoleChangeTakesEffectAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, c := e.newAdmin(), e.newCustomer()
	old := &auth.Tokens{Secret: e.Tokens.Secret, Issuer: e.Tokens.Issuer, TTL: 720 * time.Hour}
	oldShape, _, err := old.Issue(c.ID, "customer", "")
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := old.Issue(c.ID, "admin", "")
	if err != nil {
		t.Fatal(err)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/users/me", Token: oldShape})
	e.mustDo(http.StatusForbidden, req{Method: "GET", Path: "/api/v1/admin/users", Token: forged})

	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: "/api/v1/admin/users/" + c.ID, Token: admin.Token,
		Body: map[string]any{"role": "seller"}})
	e.expectUnauthorized(c.Token, "revoked")
	e.expectUnauthorized(oldShape, "revoked")
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: "/api/v1/admin/users/" + c.ID, Token: admin.Token,
		Body: map[string]any{"role": "admin"}})
	promoted := e.login(c.Email, c.Password)
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/admin/users", Token: promoted.Token})
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: "/api/v1/admin/users/" + c.ID, Token: admin.Token,
		Body: map[string]any{"role": "customer"}})
	e.expectUnauthorized(promoted.Token, "revoked")
}

func TestDisabledAccountIsLockedOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, c := e.newAdmin(), e.newCustomer()
	s := e.startSession(c)
	var u store.User
	e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/admin/users/" + c.ID + "/disable", Token: admin.Token}).JSON(t, &u)
	if u.DisabledAt == nil {
		t.Fatalf("disabled account shows no disabled_at: %+v", u)
	}
	e.expectUnauthorized(c.Token, "disabled")
	e.expectUnauthorized(s.AccessToken, "disabled")
	if res := e.refresh(s.RefreshToken); res.Code != http.StatusUnauthorized {
		t.Fatalf("refresh of a disabled account: %d %s", res.Code, res.Body)
	}
	res := e.mustDo(http.StatusUnauthorized, req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": c.Email, "password": c.Password}})
	if !strings.Contains(string(res.Body), "disabled") {
		t.Fatalf("login of a disabled account: %s", res.Body)
	}

	u = store.User{}
	e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/admin/users/" + c.ID + "/enable", Token: admin.Token}).JSON(t, &u)
	if u.DisabledAt != nil {
		t.Fatalf("enabled account still shows disabled_at: %+v", u)
	}
	e.expectUnauthorized(c.Token, "revoked") // tokens from before stay dead
	e.login(c.Email, c.Password)
}

// With Postgres down, a bearer token cannot be checked: 503 with Retry-After, never a 500.
func TestAuthenticationWithDatabaseDownIs503(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newCustomer()
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	down := e.rebuilt(t, func(d *api.Deps) { d.Store = store.New(pool) })
	res := down.mustDo(http.StatusServiceUnavailable, req{Method: "GET", Path: "/api/v1/users/me", Token: c.Token})
	if res.Header.Get("Retry-After") == "" || res.ErrorCode(t) != "unavailable" {
		t.Fatalf("503 without Retry-After or code unavailable: %v %s", res.Header, res.Body)
	}
}
