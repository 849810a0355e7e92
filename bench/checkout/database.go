package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/migrations"
)

// benchDatabase is the fresh database this run created and drops at the end.
type benchDatabase struct {
	adminURL string
	name     string
}

// createDatabase creates an empty database with a random name next to the one adminURL names.
func createDatabase(ctx context.Context, adminURL string) (*benchDatabase, error) {
	db := &benchDatabase{adminURL: adminURL, name: "shopflow_bench_" + randomHex(5)}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redactURL(adminURL), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db.name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", db.name, err)
	}
	return db, nil
}

// URL is the database's URL with extra query parameters (e.g. pool_max_conns) added.
func (d *benchDatabase) URL(params map[string]string) string {
	u, err := url.Parse(d.adminURL)
	if err != nil {
		panic(err) // parsed by createDatabase already
	}
	u.Path = "/" + d.name
	q := u.Query()
	for k, v := range params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Drop removes the database, closing any connection still open to it.
func (d *benchDatabase) Drop(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, d.adminURL)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", d.name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", d.name, err)
	}
	return nil
}

// migrate applies Shopflow's migrations.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := migrations.New(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Up(ctx, slog.New(slog.DiscardHandler))
}

// catalog is what seeding created: products the load picks from at random.
type catalog struct {
	Products []product
}

type product struct {
	ID         int64
	SellerID   string
	PriceCents int64
}

// pick returns a product chosen uniformly at random.
func (c *catalog) pick() product { return c.Products[rand.IntN(len(c.Products))] }

// seedCatalog inserts one seller, one category and n active products with stock far beyond
// what any run can sell, in one transaction.
func seedCatalog(ctx context.Context, pool *pgxpool.Pool, n int, stock int) (*catalog, error) {
	cat := &catalog{}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var userID, sellerID string
		if err := tx.QueryRow(ctx, `INSERT INTO users (email, password_hash, name, role)
			VALUES ('bench-seller@example.com', 'x', 'Bench Seller', 'seller') RETURNING id`).Scan(&userID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO sellers (user_id, store_name) VALUES ($1, 'Bench Store') RETURNING id`, userID).Scan(&sellerID); err != nil {
			return err
		}
		var categoryID int64
		if err := tx.QueryRow(ctx, `INSERT INTO categories (name, slug) VALUES ('Bench', 'bench') RETURNING id`).Scan(&categoryID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			INSERT INTO products (seller_id, category_id, name, price_cents, currency)
			SELECT $1, $2, 'Bench product ' || g, 500 + g, 'USD' FROM generate_series(1, $3::int) g
			RETURNING id, price_cents`, sellerID, categoryID, n)
		if err != nil {
			return err
		}
		cat.Products, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (product, error) {
			p := product{SellerID: sellerID}
			return p, r.Scan(&p.ID, &p.PriceCents)
		})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO inventory (product_id, on_hand) SELECT id, $2 FROM products WHERE seller_id = $1`, sellerID, stock)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("seed catalog: %w", err)
	}
	return cat, nil
}

// placeOrderSQL is the plain-SQL baseline: an order placed in one Postgres transaction with no
// workflow at all: insert the order and its line, take the stock with one conditional UPDATE,
// insert the payment row, and mark the order placed.
func placeOrderSQL(ctx context.Context, pool *pgxpool.Pool, customerID string, p product, key string) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var orderID string
		if err := tx.QueryRow(ctx, `
			INSERT INTO orders (customer_id, currency, total_cents, payment_method, idempotency_key)
			VALUES ($1, 'USD', $2, 'pm_card_visa', $3) RETURNING id`, customerID, p.PriceCents, key).Scan(&orderID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO order_items (order_id, line_no, product_id, seller_id, quantity, unit_price_cents, currency)
			VALUES ($1, 1, $2, $3, 1, $4, 'USD')`, orderID, p.ID, p.SellerID, p.PriceCents); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE inventory SET on_hand = on_hand - 1, updated_at = now()
			WHERE product_id = $1 AND on_hand - reserved >= 1`, p.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("product %d is out of stock", p.ID)
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO payments (order_id, provider, provider_ref, status, amount_cents, currency)
			VALUES ($1, 'sandbox', $2, 'succeeded', $3, 'USD')`, orderID, "pi_sql_"+key, p.PriceCents); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE orders SET status = 'placed', updated_at = now() WHERE id = $1`, orderID)
		return err
	})
}

// orderStatusCounts counts the run's orders by status, for the consistency check at the end.
func orderStatusCounts(ctx context.Context, pool *pgxpool.Pool) (map[string]int, error) {
	rows, err := pool.Query(ctx, `SELECT status, count(*)::int FROM orders GROUP BY status`)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	var status string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&status, &n}, func() error { counts[status] = n; return nil })
	return counts, err
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func itoa(n int) string { return strconv.Itoa(n) }
