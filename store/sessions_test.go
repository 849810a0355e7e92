package store_test

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/errs"
	"shopflow/store"
	"shopflow/store/storetest"
)

func newSessionStore(t *testing.T) (*store.Store, store.User) {
	t.Helper()
	st := store.New(storetest.NewPool(t))
	u, err := st.CreateUser(context.Background(), store.NewUser{Email: "s@example.com", PasswordHash: "x", Role: store.RoleCustomer})
	if err != nil {
		t.Fatal(err)
	}
	return st, u
}

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// A refresh token works once: the exchange retires it, and presenting it again revokes the
// whole family, including the token that replaced it.
func TestRotateRefreshDetectsReuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, u := newSessionStore(t)
	exp := time.Now().Add(time.Hour)
	family, err := st.StartSession(ctx, u.ID, u.TokenVersion, hashOf("r1"), exp)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.RotateRefresh(ctx, hashOf("r1"), hashOf("r2"), exp)
	if err != nil || r.FamilyID != family || r.User.ID != u.ID {
		t.Fatalf("first exchange: %+v, %v", r, err)
	}
	if _, err := st.RotateRefresh(ctx, hashOf("r1"), hashOf("r3"), exp); !errs.Is(err, errs.Unauthorized) || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("reused token: %v, want unauthorized (already used)", err)
	}
	if _, err := st.RotateRefresh(ctx, hashOf("r2"), hashOf("r4"), exp); !errs.Is(err, errs.Unauthorized) {
		t.Fatalf("the successor of a reused token still works: %v", err)
	}
	p, err := st.PrincipalOf(ctx, u.ID, family)
	if err != nil || p.SessionLive {
		t.Fatalf("after reuse the session is %+v, %v; want ended", p, err)
	}
}

func TestRotateRefreshRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, u := newSessionStore(t)
	exp := time.Now().Add(time.Hour)
	start := func(token string) {
		if _, err := st.StartSession(ctx, u.ID, u.TokenVersion, hashOf(token), exp); err != nil {
			t.Fatal(err)
		}
	}
	start("logged-out")
	start("old-version")
	start("expired")
	// Expired after the logins: each login forgets the user's expired refresh tokens.
	if _, err := st.Pool.Exec(ctx, `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, hashOf("expired")); err != nil {
		t.Fatal(err)
	}
	if err := st.EndSessionOf(ctx, hashOf("logged-out")); err != nil {
		t.Fatal(err)
	}
	if err := st.EndSessionOf(ctx, hashOf("never-issued")); err != nil {
		t.Fatalf("ending an unknown session: %v", err)
	}
	if _, err := st.ChangePassword(ctx, u.ID, "y"); err != nil {
		t.Fatal(err)
	}
	for token, want := range map[string]string{
		"unknown": "invalid refresh token", "expired": "expired", "logged-out": "ended", "old-version": "revoked",
	} {
		if _, err := st.RotateRefresh(ctx, hashOf(token), hashOf(token+"-next"), exp); !errs.Is(err, errs.Unauthorized) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want unauthorized mentioning %q", token, err, want)
		}
	}
}

// Token versions move on every revoking change, and only then.
func TestUserChangesBumpTokenVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, u := newSessionStore(t)
	steps := []struct {
		name   string
		change func() (store.User, error)
		want   int
	}{
		{"role change", func() (store.User, error) { return st.SetUserRole(ctx, u.ID, store.RoleAdmin) }, 1},
		{"same role again", func() (store.User, error) { return st.SetUserRole(ctx, u.ID, store.RoleAdmin) }, 1},
		{"disable", func() (store.User, error) { return st.SetUserDisabled(ctx, u.ID, true) }, 2},
		{"disable again", func() (store.User, error) { return st.SetUserDisabled(ctx, u.ID, true) }, 2},
		{"enable", func() (store.User, error) { return st.SetUserDisabled(ctx, u.ID, false) }, 2},
		{"password", func() (store.User, error) { return st.ChangePassword(ctx, u.ID, "y") }, 3},
	}
	for _, s := range steps {
		got, err := s.change()
		if err != nil || got.TokenVersion != s.want {
			t.Fatalf("%s: version %d, %v; want %d", s.name, got.TokenVersion, err, s.want)
		}
	}
	if _, err := st.SetUserRole(ctx, "00000000-0000-0000-0000-000000000000", store.RoleAdmin); !errs.Is(err, errs.NotFound) {
		t.Fatalf("unknown user: %v, want not found", err)
	}
}

// With Postgres unreachable, authentication reads are errs.Unavailable (503), not internal.
func TestPrincipalOfDatabaseDown(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	_, err = store.New(pool).PrincipalOf(context.Background(), "00000000-0000-0000-0000-000000000000", "")
	if !errs.Is(err, errs.Unavailable) {
		t.Fatalf("err = %v, want unavailable", err)
	}
}

func TestListUsersFiltersAndPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	for _, e := range []string{"b@example.com", "A@example.com", "c@example.com"} {
		if _, err := st.CreateUser(ctx, store.NewUser{Email: e, PasswordHash: "x", Role: store.RoleCustomer}); err != nil {
			t.Fatal(err)
		}
	}
	admin, err := st.CreateUser(ctx, store.NewUser{Email: "d@example.com", PasswordHash: "x", Role: store.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetUserDisabled(ctx, admin.ID, true); err != nil {
		t.Fatal(err)
	}
	emails := func(f store.UserFilter) string {
		us, err := st.ListUsers(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range us {
			out = append(out, u.Email)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		f    store.UserFilter
		want string
	}{
		{store.UserFilter{Limit: 10}, "A@example.com,b@example.com,c@example.com,d@example.com"},
		{store.UserFilter{Limit: 2, AfterEmail: "a@example.com"}, "b@example.com,c@example.com"},
		{store.UserFilter{Limit: 10, Role: store.RoleAdmin}, "d@example.com"},
		{store.UserFilter{Limit: 10, Status: "disabled"}, "d@example.com"},
		{store.UserFilter{Limit: 10, Status: "active", Role: store.RoleAdmin}, ""},
	} {
		if got := emails(c.f); got != c.want {
			t.Errorf("%+v: %s, want %s", c.f, got, c.want)
		}
	}
}

// Each login forgets the user's expired refresh tokens and the sessions left without any, so
// the tables stay bounded by live sessions.
func TestStartSessionForgetsExpiredSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, u := newSessionStore(t)
	exp := time.Now().Add(time.Hour)
	for _, tok := range []string{"old", "live"} {
		if _, err := st.StartSession(ctx, u.ID, 0, hashOf(tok), exp); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, hashOf("old")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartSession(ctx, u.ID, 0, hashOf("new"), exp); err != nil {
		t.Fatal(err)
	}
	var families, tokens int
	if err := st.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM refresh_families), (SELECT count(*) FROM refresh_tokens)`).Scan(&families, &tokens); err != nil {
		t.Fatal(err)
	}
	if families != 2 || tokens != 2 {
		t.Fatalf("%d sessions and %d refresh tokens left, want the 2 live ones", families, tokens)
	}
}

// Two exchanges of one refresh token at once: the row lock lets exactly one win; the other is
// reuse, so no copied token can fork a session in two.
func TestRotateRefreshConcurrentExchangeForksNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, u := newSessionStore(t)
	exp := time.Now().Add(time.Hour)
	if _, err := st.StartSession(ctx, u.ID, 0, hashOf("r1"), exp); err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 2)
	for _, next := range []string{"a", "b"} {
		go func() {
			_, err := st.RotateRefresh(ctx, hashOf("r1"), hashOf(next), exp)
			results <- err
		}()
	}
	wins := 0
	for range 2 {
		err := <-results
		switch {
		case err == nil:
			wins++
		case !errs.Is(err, errs.Unauthorized):
			t.Fatalf("exchange failed with %v, want unauthorized", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d exchanges won, want exactly 1", wins)
	}
}
