package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"shopflow/api"
	"shopflow/config"
)

// wrongLogin is a login of a fresh account (so only the IP budget is spent) from forwardedFor.
func wrongLogin(e *testEnv, forwardedFor string) response {
	e.t.Helper()
	return e.do(req{Method: "POST", Path: "/api/v1/auth/login",
		Body:   map[string]any{"email": "nobody-" + randHex(4) + "@example.com", "password": "wrong-password-1"},
		Header: map[string]string{"X-Forwarded-For": forwardedFor}})
}

// TestSpoofedForwardedForDoesNotResetTheLoginLimit: with no trusted proxy, X-Forwarded-For is
// the client's own say and must not give it a fresh per-IP budget per request.
func TestSpoofedForwardedForDoesNotResetTheLoginLimit(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.LoginLimitPerIP = 3 })
	for i := range 3 {
		if res := wrongLogin(e, "198.51.100."+string(rune('1'+i))); res.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401: %s", i+1, res.Code, res.Body)
		}
	}
	res := wrongLogin(e, "198.51.100.99")
	if res.Code != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("4th attempt with a new spoofed address: %d (Retry-After %q), want 429: %s",
			res.Code, res.Header.Get("Retry-After"), res.Body)
	}
}

// TestTrustedProxyNamesTheClient: behind a trusted proxy the forwarded address is the client,
// so clients behind one proxy have budgets of their own.
func TestTrustedProxyNamesTheClient(t *testing.T) {
	// httptest requests come from 192.0.2.1, standing for the proxy.
	e := newEnv(t, func(c *config.Config) { c.LoginLimitPerIP = 3; c.TrustedProxies = []string{"192.0.2.0/24"} })
	for i := range 3 {
		if res := wrongLogin(e, "203.0.113.7"); res.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401: %s", i+1, res.Code, res.Body)
		}
	}
	if res := wrongLogin(e, "203.0.113.7"); res.Code != http.StatusTooManyRequests {
		t.Fatalf("4th attempt of the same client: %d, want 429: %s", res.Code, res.Body)
	}
	if res := wrongLogin(e, "203.0.113.8"); res.Code != http.StatusUnauthorized {
		t.Fatalf("another client behind the proxy: %d, want 401: %s", res.Code, res.Body)
	}
}

// TestRegistrationIsThrottled hammers registration: past the auth budget it is 429 with
// Retry-After, and the refused requests never reach the handler, so never run bcrypt (the
// server serving them has no password hasher: reaching it would panic into a 500).
func TestRegistrationIsThrottled(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.RateLimitAuth = 3 })
	register := func(e *testEnv) response {
		return e.do(req{Method: "POST", Path: "/api/v1/auth/register",
			Body: map[string]any{"email": "r-" + randHex(5) + "@example.com", "password": "a-long-password-1"}})
	}
	for i := range 3 {
		if res := register(e); res.Code != http.StatusCreated {
			t.Fatalf("registration %d: %d, want 201: %s", i+1, res.Code, res.Body)
		}
	}
	noBcrypt := e.rebuilt(t, func(d *api.Deps) { d.Passwords = nil })
	for i := range 20 {
		res := register(noBcrypt)
		if res.Code != http.StatusTooManyRequests || res.ErrorCode(t) != "rate_limited" || res.Header.Get("Retry-After") == "" {
			t.Fatalf("registration %d over the budget: %d (Retry-After %q), want 429 rate_limited: %s",
				i+4, res.Code, res.Header.Get("Retry-After"), res.Body)
		}
	}
}

// TestRateLimitClasses: reads and writes have budgets of their own, per account when
// authenticated; top sellers is exempt; with Redis down reads are served, auth is 503.
func TestRateLimitClasses(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.RateLimitReads, c.RateLimitWrites, c.RateLimitAuth = 2, 1, 10 })
	a, b := e.newCustomer(), e.newCustomer()
	for range 2 {
		e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/cart", Token: a.Token})
	}
	e.mustDo(http.StatusTooManyRequests, req{Method: "GET", Path: "/api/v1/cart", Token: a.Token})
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/cart", Token: b.Token}) // b's own budget
	e.mustDo(http.StatusOK, req{Method: "DELETE", Path: "/api/v1/cart", Token: a.Token})
	e.mustDo(http.StatusTooManyRequests, req{Method: "DELETE", Path: "/api/v1/cart", Token: a.Token})
	for range 5 { // exempt: a 404 for an unknown category, never a 429
		e.mustDo(http.StatusNotFound, req{Method: "GET", Path: "/api/v1/categories/999999/top-sellers"})
	}

	down := e.rebuilt(t, func(d *api.Deps) { d.Redis = deadRedis(t) })
	for range 3 { // the first finds Redis down, the others are served without asking it again
		down.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/categories"})
	}
	res := down.do(req{Method: "POST", Path: "/api/v1/auth/register",
		Body: map[string]any{"email": "r-" + randHex(5) + "@example.com", "password": "a-long-password-1"}})
	if res.Code != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("registration with Redis down: %d (Retry-After %q), want 503", res.Code, res.Header.Get("Retry-After"))
	}
}

// deadRedis is a Redis client of nothing: every command fails at once.
func deadRedis(t testing.TB) *redis.Client {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 300 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })
	return dead
}
