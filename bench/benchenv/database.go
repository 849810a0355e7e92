package benchenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/migrations"
)

// Database is a fresh database this run created next to the admin database, and drops.
type Database struct {
	Name string
	// URL reaches the run's database; AdminURL the one it was created from.
	URL, AdminURL string
}

// CreateDatabase creates an empty database named prefix plus a random suffix next to the one
// adminURL names, and applies Shopflow's migrations. On error nothing is left behind.
func CreateDatabase(ctx context.Context, adminURL, prefix string) (*Database, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	d := &Database{Name: prefix + RandomHex(4), AdminURL: adminURL}
	u.Path = "/" + d.Name
	d.URL = u.String()
	if err := d.admin(ctx, "CREATE DATABASE "+pgx.Identifier{d.Name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", d.Name, err)
	}
	if err := d.migrate(ctx); err != nil {
		_ = d.Drop(context.WithoutCancel(ctx))
		return nil, err
	}
	return d, nil
}

// Drop removes the database, closing the connections still open to it.
func (d *Database) Drop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := d.admin(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.Name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", d.Name, err)
	}
	return nil
}

func (d *Database) admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, d.AdminURL)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func (d *Database) migrate(ctx context.Context) error {
	pool, err := pgxpool.New(ctx, d.URL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrations.Apply(ctx, pool, slog.New(slog.DiscardHandler)); err != nil {
		return fmt.Errorf("migrate %s: %w", d.Name, err)
	}
	return nil
}

// RandomHex is n random bytes in hex: names and keys that do not collide between runs.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
