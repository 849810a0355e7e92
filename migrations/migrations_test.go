package migrations_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/migrations"
	"shopflow/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestUpDownUp proves every migration applies on an empty database, rolls back to nothing
// (no table left behind), and applies again: down migrations are real, not decoration.
func TestUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, storetest.NewEmptyDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := migrations.New(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	if err := m.Up(ctx, quiet); err != nil {
		t.Fatalf("up: %v", err)
	}
	v, err := m.Version(ctx)
	if err != nil || v < 1 {
		t.Fatalf("version after up = %d, %v", v, err)
	}
	want := []string{"users", "sellers", "categories", "products", "inventory", "carts", "cart_items",
		"wishlists", "wishlist_items", "orders", "order_items", "order_events", "payments", "reservations", "idempotency_keys"}
	got := tables(t, pool)
	for _, name := range want {
		if !got[name] {
			t.Errorf("table %s missing after up (have %v)", name, got)
		}
	}

	var status strings.Builder
	if err := m.Status(ctx, &status); err != nil || !strings.Contains(status.String(), "applied") {
		t.Fatalf("status = %q, %v", status.String(), err)
	}

	if err := m.Down(ctx, true, quiet); err != nil {
		t.Fatalf("down: %v", err)
	}
	left := tables(t, pool)
	delete(left, "goose_db_version")
	if len(left) != 0 {
		t.Fatalf("tables left after down: %v", left)
	}
	if err := m.Up(ctx, quiet); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if again := tables(t, pool); len(again) != len(got) {
		t.Fatalf("second up made %d tables, first made %d", len(again), len(got))
	}
}

// TestInventoryConstraints proves the schema itself refuses overselling, whatever the code does.
func TestInventoryConstraints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	var productID int64
	err := pool.QueryRow(ctx, `
		WITH u AS (INSERT INTO users (email, password_hash, role) VALUES ('s@example.com', 'x', 'seller') RETURNING id),
		     s AS (INSERT INTO sellers (user_id, store_name) SELECT id, 'S' FROM u RETURNING id),
		     c AS (INSERT INTO categories (name, slug) VALUES ('C', 'c') RETURNING id)
		INSERT INTO products (seller_id, category_id, name, price_cents, currency)
		SELECT s.id, c.id, 'P', 100, 'USD' FROM s, c RETURNING id`).Scan(&productID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO inventory (product_id, on_hand, reserved) VALUES ($1, 5, 5)`, productID); err != nil {
		t.Fatal(err)
	}
	for name, stmt := range map[string]string{
		"reserve beyond on_hand": `UPDATE inventory SET reserved = 6 WHERE product_id = $1`,
		"negative reserved":      `UPDATE inventory SET reserved = -1 WHERE product_id = $1`,
		"on_hand below reserved": `UPDATE inventory SET on_hand = 4 WHERE product_id = $1`,
		"negative on_hand":       `UPDATE inventory SET on_hand = -1, reserved = 0 WHERE product_id = $1`,
		"negative price":         `UPDATE products SET price_cents = -1 WHERE id = $1`,
		"lower-case currency":    `UPDATE products SET currency = 'usd' WHERE id = $1`,
		"unknown status":         `UPDATE products SET status = 'deleted' WHERE id = $1`,
		"attributes not object":  `UPDATE products SET attributes = '[1]' WHERE id = $1`,
	} {
		if _, err := pool.Exec(ctx, stmt, productID); err == nil || !strings.Contains(err.Error(), "SQLSTATE 23514") {
			t.Errorf("%s: want check violation, got %v", name, err)
		}
	}
}

func tables(t *testing.T, pool *pgxpool.Pool) map[string]bool {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[n] = true
	}
	return out
}
