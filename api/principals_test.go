package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"shopflow/auth"
	"shopflow/config"
	"shopflow/errs"
	"shopflow/store"
	"shopflow/store/storetest"
)

// Through the API, in one process: logout, refresh reuse, password change, disable and a role
// change refuse the tokens they revoke from the very next request, although those tokens'
// principals were cached a moment before and the clock has not moved.
func TestRevocationThroughTheAPIIsImmediate(t *testing.T) {
	t.Parallel()
	e := newPrincipalsEnv(t, time.Minute)
	admin := e.login(e.newUser(store.RoleAdmin))

	for _, tc := range []struct {
		name   string
		revoke func(victim, other session)
		// refused is the victim's token, now refused with a message holding want.
		want string
	}{
		{"logout", func(v, _ session) {
			e.mustCall(http.StatusNoContent, "POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": v.RefreshToken})
		}, "session has ended"},
		{"refresh token reused", func(v, _ session) {
			e.mustCall(http.StatusOK, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": v.RefreshToken})
			e.mustCall(http.StatusUnauthorized, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": v.RefreshToken})
		}, "session has ended"},
		{"password changed in another session", func(_, o session) {
			e.mustCall(http.StatusOK, "POST", "/api/v1/users/me/password", o.AccessToken,
				map[string]any{"current_password": principalsPassword, "new_password": "another-long-password"})
		}, "revoked"},
		{"account disabled", func(v, _ session) {
			e.mustCall(http.StatusOK, "POST", "/api/v1/admin/users/"+v.User.ID+"/disable", admin.AccessToken, nil)
		}, "disabled"},
		{"role changed", func(v, _ session) {
			e.mustCall(http.StatusOK, "PATCH", "/api/v1/admin/users/"+v.User.ID, admin.AccessToken, map[string]any{"role": "admin"})
		}, "revoked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.in(t)
			u := e.newUser(store.RoleCustomer)
			victim, other := e.login(u), e.login(u)
			e.mustCall(http.StatusOK, "GET", "/api/v1/users/me", victim.AccessToken, nil)
			reads := e.reads.Load()
			e.mustCall(http.StatusOK, "GET", "/api/v1/users/me", victim.AccessToken, nil)
			if got := e.reads.Load(); got != reads {
				t.Fatalf("a cached principal was read again (%d reads, then %d)", reads, got)
			}
			tc.revoke(victim, other)
			res := e.call("GET", "/api/v1/users/me", victim.AccessToken, nil)
			if res.Code != http.StatusUnauthorized || !strings.Contains(res.Body.String(), tc.want) {
				t.Fatalf("revoked token right after %s: %d %s; want 401 mentioning %q", tc.name, res.Code, res.Body, tc.want)
			}
		})
	}
}

// A change made behind the process's back (here, directly in the store) is not seen while the
// cached principal is fresh, and is seen once the TTL has passed: the bound other API
// processes' revocations are held to.
func TestChangesMadeElsewhereApplyWithinTheTTL(t *testing.T) {
	t.Parallel()
	const ttl = 3 * time.Second
	e := newPrincipalsEnv(t, ttl)
	s := e.login(e.newUser(store.RoleCustomer))
	e.mustCall(http.StatusOK, "GET", "/api/v1/users/me", s.AccessToken, nil)
	if _, err := e.srv.Store.SetUserDisabled(t.Context(), s.User.ID, true); err != nil {
		t.Fatal(err)
	}
	e.clock.advance(ttl - time.Millisecond)
	e.mustCall(http.StatusOK, "GET", "/api/v1/users/me", s.AccessToken, nil)
	e.clock.advance(time.Millisecond)
	res := e.mustCall(http.StatusUnauthorized, "GET", "/api/v1/users/me", s.AccessToken, nil)
	if !strings.Contains(res.Body.String(), "disabled") {
		t.Fatalf("after the TTL: %s; want the account disabled", res.Body)
	}
}

// With SHOPFLOW_AUTH_CACHE_TTL=0 every authenticated request reads the database, and a change
// made elsewhere applies at once.
func TestZeroTTLCachesNothing(t *testing.T) {
	t.Parallel()
	e := newPrincipalsEnv(t, 0)
	s := e.login(e.newUser(store.RoleCustomer))
	for range 3 {
		e.mustCall(http.StatusOK, "GET", "/api/v1/users/me", s.AccessToken, nil)
	}
	if got := e.reads.Load(); got != 3 {
		t.Fatalf("%d principal reads for 3 requests; want 3", got)
	}
	if _, err := e.srv.Store.SetUserDisabled(t.Context(), s.User.ID, true); err != nil {
		t.Fatal(err)
	}
	e.mustCall(http.StatusUnauthorized, "GET", "/api/v1/users/me", s.AccessToken, nil)
}

// A fresh entry is answered without calling the reader; an expired one is read again; each
// session of an account is its own entry.
func TestPrincipalCacheHitReadsNothing(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	var reads atomic.Int64
	c := newPrincipals(time.Second, func(_ context.Context, user, family string) (store.Principal, error) {
		reads.Add(1)
		return store.Principal{Role: "customer", SessionLive: family != "ended"}, nil
	})
	c.now = clock.now
	ctx := t.Context()
	for range 5 {
		if p, err := c.of(ctx, "u1", "f1"); err != nil || !p.SessionLive {
			t.Fatalf("of: %+v %v", p, err)
		}
	}
	if p, _ := c.of(ctx, "u1", "ended"); p.SessionLive {
		t.Fatal("another session of the account was answered from the first's entry")
	}
	if got := reads.Load(); got != 2 {
		t.Fatalf("%d reads for two sessions asked repeatedly; want 2", got)
	}
	clock.advance(time.Second)
	if _, err := c.of(ctx, "u1", "f1"); err != nil {
		t.Fatal(err)
	}
	if got := reads.Load(); got != 3 {
		t.Fatalf("%d reads after the TTL; want 3 (the expired entry read again)", got)
	}
}

// Errors (an account gone, a database down) are never cached.
func TestPrincipalCacheKeepsNoErrors(t *testing.T) {
	t.Parallel()
	var reads atomic.Int64
	c := newPrincipals(time.Minute, func(context.Context, string, string) (store.Principal, error) {
		reads.Add(1)
		return store.Principal{}, errs.E(errs.Unavailable, "down")
	})
	for range 2 {
		if _, err := c.of(t.Context(), "u1", ""); !errs.Is(err, errs.Unavailable) {
			t.Fatalf("of: %v; want the reader's error", err)
		}
	}
	if got := reads.Load(); got != 2 {
		t.Fatalf("%d reads; want 2", got)
	}
}

// Requests missing the same entry at once share one database read.
func TestConcurrentMissesShareOneRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		var reads atomic.Int64
		c := newPrincipals(time.Second, func(context.Context, string, string) (store.Principal, error) {
			reads.Add(1)
			<-gate
			return store.Principal{Role: "seller", SessionLive: true}, nil
		})
		var wg sync.WaitGroup
		roles := make([]string, 20)
		for i := range roles {
			wg.Go(func() {
				p, err := c.of(context.Background(), "u1", "f1")
				if err != nil {
					t.Error(err)
				}
				roles[i] = p.Role
			})
		}
		synctest.Wait() // every caller is waiting: on the read, or inside it
		n := reads.Load()
		close(gate)
		wg.Wait()
		if n != 1 {
			t.Fatalf("%d reads for 20 concurrent misses; want 1", n)
		}
		for i, r := range roles {
			if r != "seller" {
				t.Fatalf("caller %d got role %q", i, r)
			}
		}
	})
}

// A read that began before a revocation was forgotten may answer its own request, but is not
// kept: otherwise it would serve the revoked session for a whole TTL.
func TestReadInFlightDuringForgetIsNotKept(t *testing.T) {
	t.Parallel()
	for name, forget := range map[string]func(*principals){
		"user": func(c *principals) { c.forgetUser("u1") },
		"all":  (*principals).forgetAll,
	} {
		t.Run(name, func(t *testing.T) {
			entered, release := make(chan struct{}), make(chan struct{})
			var reads atomic.Int64
			c := newPrincipals(time.Minute, func(context.Context, string, string) (store.Principal, error) {
				if reads.Add(1) == 1 {
					close(entered)
					<-release
					return store.Principal{SessionLive: true}, nil
				}
				return store.Principal{SessionLive: false}, nil
			})
			done := make(chan store.Principal)
			go func() {
				p, _ := c.of(context.Background(), "u1", "f1")
				done <- p
			}()
			<-entered
			forget(c)
			close(release)
			if p := <-done; !p.SessionLive {
				t.Fatal("the request that began before the revocation got the later answer; the test is wrong")
			}
			if p, _ := c.of(t.Context(), "u1", "f1"); p.SessionLive {
				t.Fatal("a read begun before the revocation was kept and served after it")
			}
		})
	}
}

// forgetUser drops that account's sessions only.
func TestForgetUserKeepsOtherAccounts(t *testing.T) {
	t.Parallel()
	var reads atomic.Int64
	c := newPrincipals(time.Minute, func(context.Context, string, string) (store.Principal, error) {
		reads.Add(1)
		return store.Principal{SessionLive: true}, nil
	})
	for _, k := range []principalKey{{"u1", "a"}, {"u1", "b"}, {"u2", "a"}} {
		if _, err := c.of(t.Context(), k.user, k.family); err != nil {
			t.Fatal(err)
		}
	}
	c.forgetUser("u1")
	for _, k := range []principalKey{{"u1", "a"}, {"u1", "b"}, {"u2", "a"}} {
		if _, err := c.of(t.Context(), k.user, k.family); err != nil {
			t.Fatal(err)
		}
	}
	if got := reads.Load(); got != 5 {
		t.Fatalf("%d reads; want 5 (u1's two sessions read again, u2's kept)", got)
	}
}

// A caller that gives up stops waiting on a shared read; the read goes on for the others.
func TestCallerLeavingDoesNotWaitForTheRead(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	c := newPrincipals(time.Minute, func(context.Context, string, string) (store.Principal, error) {
		<-release
		return store.Principal{}, nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.of(ctx, "u1", ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("of with the caller gone: %v; want context.Canceled", err)
	}
}

const principalsPassword = "a-long-password-1"

// principalsEnv is one Server over its own database, with a fake clock for its principal cache
// and a count of the principal reads that reach the database.
type principalsEnv struct {
	t     *testing.T
	srv   *Server
	clock *fakeClock
	reads *atomic.Int64
}

// in is e for the subtest t.
func (e *principalsEnv) in(t *testing.T) *principalsEnv {
	c := *e
	c.t = t
	return &c
}

func newPrincipalsEnv(t *testing.T, ttl time.Duration) *principalsEnv {
	t.Helper()
	redisURL := os.Getenv("SHOPFLOW_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	dbURL := storetest.NewDatabase(t)
	cfg, err := config.Load([]string{"SHOPFLOW_JWT_SECRET=test-secret-test-secret-test-secret!", "SHOPFLOW_BCRYPT_COST=4",
		"SHOPFLOW_DATABASE_URL=" + dbURL, "SHOPFLOW_REDIS_URL=" + redisURL, "SHOPFLOW_PAYMENT_PROVIDER=sandbox",
		"SHOPFLOW_REDIS_PREFIX=test:" + hex.EncodeToString(suffix) + ":",
		"SHOPFLOW_RATE_LIMIT_AUTH=0", "SHOPFLOW_RATE_LIMIT_WRITES=0", "SHOPFLOW_RATE_LIMIT_READS=0"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.AuthCacheTTL = ttl
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	passwords, err := auth.NewPasswords(cfg.BcryptCost)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	srv, err := New(Deps{Config: cfg, Store: store.New(pool), Redis: rdb, Passwords: passwords,
		Tokens:   &auth.Tokens{Secret: []byte(cfg.JWTSecret), Issuer: cfg.JWTIssuer, TTL: cfg.AccessTokenTTL},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	e := &principalsEnv{t: t, srv: srv, clock: &fakeClock{t: time.Now()}, reads: new(atomic.Int64)}
	srv.principals.now = e.clock.now
	read := srv.principals.read
	srv.principals.read = func(ctx context.Context, user, family string) (store.Principal, error) {
		e.reads.Add(1)
		return read(ctx, user, family)
	}
	return e
}

// session is one login's tokens.
type session struct {
	AccessToken  string     `json:"access_token"`
	RefreshToken string     `json:"refresh_token"`
	User         store.User `json:"user"`
}

func (e *principalsEnv) newUser(role string) store.User {
	e.t.Helper()
	hash, err := e.srv.Passwords.Hash(principalsPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	suffix := make([]byte, 5)
	_, _ = rand.Read(suffix)
	u, err := e.srv.Store.CreateUser(e.t.Context(), store.NewUser{Email: "p-" + hex.EncodeToString(suffix) + "@example.com",
		PasswordHash: hash, Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *principalsEnv) login(u store.User) session {
	e.t.Helper()
	var s session
	res := e.mustCall(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]any{"email": u.Email, "password": principalsPassword})
	if err := json.Unmarshal(res.Body.Bytes(), &s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *principalsEnv) call(method, path, token string, body any) *httptest.ResponseRecorder {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec
}

func (e *principalsEnv) mustCall(want int, method, path, token string, body any) *httptest.ResponseRecorder {
	e.t.Helper()
	res := e.call(method, path, token, body)
	if res.Code != want {
		e.t.Fatalf("%s %s: %d %s; want %d", method, path, res.Code, res.Body, want)
	}
	return res
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// A token verified once is answered from memory until it expires (the signature is not checked
// again: here the secret changes and the token still passes), then judged by Verify again;
// a token that fails is never remembered.
func TestVerifiedTokensRecheckOnlyExpiry(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Now()}
	tokens := &auth.Tokens{Secret: []byte("first-secret-first-secret-first!!"), Issuer: "shopflow", Now: clock.now}
	token, exp, err := tokens.IssueAccess(auth.Access{UserID: "u1", Role: "customer"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifiedTokens(tokens)
	if c, err := v.verify(token); err != nil || c.Subject != "u1" {
		t.Fatalf("verify: %+v %v", c, err)
	}
	tampered := token[:len(token)-2] + "xx"
	for range 2 {
		if _, err := v.verify(tampered); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("tampered token: %v; want 401", err)
		}
	}
	tokens.Secret = []byte("other-secret-other-secret-other!!")
	if c, err := v.verify(token); err != nil || c.Subject != "u1" {
		t.Fatalf("remembered token: %+v %v; want its claims without a signature check", c, err)
	}
	clock.advance(exp.Sub(clock.now()) + time.Hour)
	if _, err := v.verify(token); !errs.Is(err, errs.Unauthorized) {
		t.Fatalf("expired remembered token: %v; want 401", err)
	}
}

// A logout or refused refresh forgets only the session it names: junk refresh tokens, and
// another session's logout, leave a session's cached check in place (no read), while the
// session that ended is refused at once.
func TestSessionEndsForgetOnlyTheirSession(t *testing.T) {
	t.Parallel()
	e := newPrincipalsEnv(t, time.Minute)
	u := e.newUser(store.RoleCustomer)
	kept, ended := e.login(u), e.login(u)
	for _, s := range []session{kept, ended} {
		e.mustCall(http.StatusOK, "GET", "/api/v1/users/me", s.AccessToken, nil)
	}
	reads := e.reads.Load()
	e.mustCall(http.StatusNoContent, "POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": "junk-" + ended.RefreshToken})
	e.mustCall(http.StatusUnauthorized, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": "junk-" + ended.RefreshToken})
	e.mustCall(http.StatusNoContent, "POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": ended.RefreshToken})
	e.mustCall(http.StatusOK, "GET", "/api/v1/users/me", kept.AccessToken, nil)
	if got := e.reads.Load(); got != reads {
		t.Fatalf("the kept session was read again after other sessions' ends (%d reads, then %d)", reads, got)
	}
	if res := e.call("GET", "/api/v1/users/me", ended.AccessToken, nil); res.Code != http.StatusUnauthorized {
		t.Fatalf("the ended session's token: %d %s; want 401", res.Code, res.Body)
	}
}
