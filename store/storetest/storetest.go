// Package storetest gives each test a fresh, migrated Postgres database of its own, cloned from
// a template migrated once per test binary, so tests run in parallel without seeing each other.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/migrations"
)

// AdminURLEnv names the variable holding a URL of a database the tests may CREATE DATABASE from.
const AdminURLEnv = "SHOPFLOW_TEST_DATABASE_URL"

const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var template struct {
	once sync.Once
	name string
	err  error
}

// AdminURL is the maintenance database URL used to create and drop test databases.
func AdminURL() string {
	if u := os.Getenv(AdminURLEnv); u != "" {
		return u
	}
	return defaultAdminURL
}

// NewDatabase creates a fresh migrated database for t, dropped when t ends, and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	tmpl := migratedTemplate(t)
	name := "sf_test_" + randomSuffix()
	admin := connectAdmin(t)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), AdminURL())
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(AdminURL(), name)
}

// NewPool is NewDatabase plus an open pool, closed when t ends.
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), NewDatabase(t))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewEmptyDatabase creates a database with no schema at all, for migration tests.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	name := "sf_test_" + randomSuffix()
	admin := connectAdmin(t)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create empty database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), AdminURL())
		if err == nil {
			defer c.Close(context.Background())
			_, err = c.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
		}
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return withDatabase(AdminURL(), name)
}

// migratedTemplate creates and migrates this test binary's template database once. It is left
// behind only if the binary crashes; names carry a random suffix so runs never collide.
func migratedTemplate(t testing.TB) string {
	t.Helper()
	template.once.Do(func() {
		ctx := context.Background()
		name := "sf_tmpl_" + randomSuffix()
		admin, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			template.err = fmt.Errorf("connect to %s (set %s): %w", AdminURL(), AdminURLEnv, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			template.err = fmt.Errorf("create template: %w", err)
			return
		}
		pool, err := pgxpool.New(ctx, withDatabase(AdminURL(), name))
		if err != nil {
			template.err = err
			return
		}
		err = migrations.Apply(ctx, pool, slog.New(slog.DiscardHandler))
		pool.Close()
		if err != nil {
			template.err = fmt.Errorf("migrate template: %w", err)
			return
		}
		template.name = name
	})
	if template.err != nil {
		t.Fatalf("test database template: %v", template.err)
	}
	return template.name
}

// DropTemplate removes the template; call it from TestMain after m.Run.
func DropTemplate() {
	if template.name == "" {
		return
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return
	}
	defer c.Close(ctx)
	_, _ = c.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", template.name))
}

func connectAdmin(t testing.TB) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), AdminURL())
	if err != nil {
		t.Fatalf("connect to %s (set %s): %v", AdminURL(), AdminURLEnv, err)
	}
	return c
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(fmt.Sprintf("bad %s: %v", AdminURLEnv, err))
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}

// WithMaxConns returns dbURL with its pool capped at n connections. Test packages run two at a
// time against one Postgres (max_connections 100 by default), so a harness that builds a whole
// app per test caps its pool well below the production default.
func WithMaxConns(dbURL string, n int) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	q := u.Query()
	q.Set("pool_max_conns", strconv.Itoa(n))
	u.RawQuery = q.Encode()
	return u.String()
}
