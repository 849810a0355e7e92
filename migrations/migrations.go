// Package migrations holds Shopflow's schema as numbered SQL files embedded in the binary, and
// applies them with goose so every deployment and every test database has the same schema.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

//go:embed *.sql
var files embed.FS

// Migrator applies the embedded migrations to one database.
type Migrator struct {
	db       *sql.DB
	provider *goose.Provider
}

// New returns a Migrator over pool. Close it when done.
func New(pool *pgxpool.Pool) (*Migrator, error) {
	db := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, files)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return &Migrator{db: db, provider: p}, nil
}

// Close releases the migrator's connection wrapper; the pool stays open.
func (m *Migrator) Close() error { return m.db.Close() }

// Apply brings the database behind pool up to date: every pending migration, then done.
func Apply(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	m, err := New(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Up(ctx, log)
}

// Up applies every pending migration.
func (m *Migrator) Up(ctx context.Context, log *slog.Logger) error {
	results, err := m.provider.Up(ctx)
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// Down rolls back the newest migration, or every migration when all is true.
func (m *Migrator) Down(ctx context.Context, all bool, log *slog.Logger) error {
	if all {
		results, err := m.provider.DownTo(ctx, 0)
		for _, r := range results {
			log.Info("migration rolled back", "version", r.Source.Version, "file", r.Source.Path)
		}
		if err != nil {
			return fmt.Errorf("migrate down to 0: %w", err)
		}
		return nil
	}
	r, err := m.provider.Down(ctx)
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	log.Info("migration rolled back", "version", r.Source.Version, "file", r.Source.Path)
	return nil
}

// Status writes one line per migration: version, state and when it was applied.
func (m *Migrator) Status(ctx context.Context, w io.Writer) error {
	states, err := m.provider.Status(ctx)
	if err != nil {
		return fmt.Errorf("migrate status: %w", err)
	}
	for _, s := range states {
		applied := "-"
		if !s.AppliedAt.IsZero() {
			applied = s.AppliedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		fmt.Fprintf(w, "%05d  %-8s  %-20s  %s\n", s.Source.Version, s.State, applied, s.Source.Path)
	}
	return nil
}

// Version returns the newest applied migration version (0 when none).
func (m *Migrator) Version(ctx context.Context) (int64, error) {
	v, err := m.provider.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("migration version: %w", err)
	}
	return v, nil
}
