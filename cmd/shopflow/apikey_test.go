package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/errs"
	"shopflow/store"
	"shopflow/store/storetest"
)

func TestAPIKeyCommandsHaveHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"admin", "api-key", "--help"}, {"admin", "api-key", "create", "--help"}, {"admin", "api-key", "revoke", "--help"},
	} {
		out, err := run(t, nil, "", args...)
		if err != nil || !strings.Contains(out, "Usage:") {
			t.Errorf("shopflow %s: err %v, output %q", strings.Join(args, " "), err, out)
		}
	}
}

// TestAPIKeyCreateAndRevokeCommands: create prints the key once with its id; the key works
// until revoke.
func TestAPIKeyCreateAndRevokeCommands(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	env := []string{"SHOPFLOW_DATABASE_URL=" + dbURL, "SHOPFLOW_LOG_LEVEL=error"}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool)

	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "a name is required", args: []string{"create"}, wantErr: `"name" not set`},
		{name: "a blank name is refused", args: []string{"create", "--name", "  "}, wantErr: "--name must be 1 to 100 characters"},
		{name: "a long name is refused", args: []string{"create", "--name", strings.Repeat("n", 101)}, wantErr: "--name must be 1 to 100 characters"},
		{name: "ingest is the only role", args: []string{"create", "--name", "feed", "--role", "admin"}, wantErr: `--role must be "ingest"`},
		{name: "revoke needs an id", args: []string{"revoke"}, wantErr: "accepts 1 arg"},
		{name: "revoke needs a UUID", args: []string{"revoke", "42"}, wantErr: "must be an API key id"},
		{name: "revoking an unknown key fails", args: []string{"revoke", "6f1c3a52-0000-4000-8000-000000000000"}, wantErr: "no API key has id"},
	} {
		if _, err := run(t, env, "", append([]string{"admin", "api-key"}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
	if n := countKeys(t, pool); n != 0 {
		t.Fatalf("%d keys created by refused commands", n)
	}

	out, err := run(t, env, "", "admin", "api-key", "create", "--name", "legacy feed")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	id := regexp.MustCompile(`(?m)^id +([0-9a-f-]{36})$`).FindStringSubmatch(out)
	key := regexp.MustCompile(`(?m)^key +(sfk_\S+)$`).FindStringSubmatch(out)
	if id == nil || key == nil || !strings.Contains(out, "role ingest") {
		t.Fatalf("create printed no id and key:\n%s", out)
	}
	k, err := st.APIKeyByPlaintext(ctx, key[1])
	if err != nil || k.ID != id[1] || k.Name != "legacy feed" || k.Role != store.RoleIngest {
		t.Fatalf("the printed key finds %+v, %v", k, err)
	}

	if out, err := run(t, env, "", "admin", "api-key", "revoke", id[1]); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	if _, err := st.APIKeyByPlaintext(ctx, key[1]); !errs.Is(err, errs.NotFound) {
		t.Fatalf("revoked key still found: %v", err)
	}
	if out, err := run(t, env, "", "admin", "api-key", "revoke", id[1]); err != nil {
		t.Fatalf("revoking again should be a no-op: %v\n%s", err, out)
	}
}

func countKeys(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM api_keys`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
