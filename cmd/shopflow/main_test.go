package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

func run(t *testing.T, environ []string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root := newRoot(environ, strings.NewReader(stdin), &out, &out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestEveryCommandHasHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--help"}, {"api", "--help"}, {"worker", "--help"}, {"dev", "--help"},
		{"migrate", "--help"}, {"migrate", "up", "--help"}, {"migrate", "down", "--help"}, {"migrate", "status", "--help"},
		{"admin", "--help"}, {"admin", "create", "--help"}, {"admin", "api-key", "--help"},
		{"admin", "api-key", "create", "--help"}, {"admin", "api-key", "revoke", "--help"}, {"ingest", "--help"},
		{"notify", "--help"}, {"temporal", "--help"}, {"temporal", "setup", "--help"},
		{"temporal", "deploy", "--help"}, {"temporal", "deploy", "promote", "--help"}, {"temporal", "deploy", "status", "--help"},
	} {
		out, err := run(t, nil, "", args...)
		if err != nil || !strings.Contains(out, "Usage:") {
			t.Errorf("shopflow %s: err %v, output %q", strings.Join(args, " "), err, out)
		}
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	_, err := run(t, []string{"SHOPFLOW_HTTP_ADDR=:8080"}, "", "api")
	if err == nil || !strings.Contains(err.Error(), "SHOPFLOW_JWT_SECRET") {
		t.Fatalf("api without a secret: %v", err)
	}
	_, err = run(t, []string{"SHOPFLOW_ACCESS_TOKEN_TTL=forever"}, "", "migrate", "status")
	if err == nil || !strings.Contains(err.Error(), "SHOPFLOW_ACCESS_TOKEN_TTL") {
		t.Fatalf("bad duration: %v", err)
	}
}

func TestMigrateAndAdminCreate(t *testing.T) {
	t.Parallel()
	env := []string{"SHOPFLOW_DATABASE_URL=" + storetest.NewEmptyDatabase(t), "SHOPFLOW_BCRYPT_COST=4", "SHOPFLOW_LOG_LEVEL=error"}
	if out, err := run(t, env, "", "migrate", "up"); err != nil {
		t.Fatalf("migrate up: %v\n%s", err, out)
	}
	out, err := run(t, env, "", "migrate", "status")
	if err != nil || !strings.Contains(out, "applied") || strings.Contains(out, "pending") {
		t.Fatalf("migrate status: %v\n%s", err, out)
	}
	if _, err := run(t, env, "short\n", "admin", "create", "--email", "root@example.com"); err == nil {
		t.Fatal("admin create accepted a short password")
	}
	out, err = run(t, env, "a-strong-admin-password\n", "admin", "create", "--email", "root@example.com")
	if err != nil || !strings.Contains(out, "created") {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	out, err = run(t, env, "another-strong-password\n", "admin", "create", "--email", "root@example.com")
	if err != nil || !strings.Contains(out, "left unchanged") {
		t.Fatalf("admin create again: %v\n%s", err, out)
	}
	pool, err := pgxpool.New(context.Background(), strings.TrimPrefix(env[0], "SHOPFLOW_DATABASE_URL="))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var role string
	if err := pool.QueryRow(context.Background(), `SELECT role FROM users WHERE email = 'root@example.com'`).Scan(&role); err != nil || role != "admin" {
		t.Fatalf("role = %q, %v", role, err)
	}
	if out, err := run(t, env, "", "migrate", "down", "--all"); err != nil {
		t.Fatalf("migrate down --all: %v\n%s", err, out)
	}
}

// The API and the worker refuse to start without an explicit payment provider, before they
// connect to anything; an unreachable database proves nothing else was tried first.
func TestServersRefuseToStartWithoutAPaymentProvider(t *testing.T) {
	t.Parallel()
	environ := []string{"SHOPFLOW_JWT_SECRET=0123456789abcdef0123456789abcdef", "SHOPFLOW_STRIPE_WEBHOOK_SECRET=",
		"SHOPFLOW_DATABASE_URL=postgres://127.0.0.1:1/none?connect_timeout=1"}
	for _, command := range []string{"api", "worker"} {
		_, err := run(t, environ, "", command)
		if err == nil || !strings.Contains(err.Error(), "SHOPFLOW_PAYMENT_PROVIDER is not set") {
			t.Errorf("shopflow %s without a payment provider: %v", command, err)
		}
	}
}
