package pgtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/migrations"
)

// Replicated is a primary and a hot standby streaming from it, with a migrated database.
type Replicated struct {
	Primary, Replica *Server
	// Database is the migrated database's name on both.
	Database string
}

// PrimaryURL is the migrated database on the primary.
func (r *Replicated) PrimaryURL() string { return r.Primary.URL(r.Database) }

// ReplicaURL is the migrated database on the replica.
func (r *Replicated) ReplicaURL() string { return r.Replica.URL(r.Database) }

// StartReplicated creates a primary (initdb, wal_level=replica, replication allowed from
// 127.0.0.1 without a password), clones it with pg_basebackup -R into a standby on another
// port, and migrates a database on the primary, returning once the standby has replayed it.
// Both are stopped and removed when t ends.
func StartReplicated(t testing.TB) *Replicated {
	t.Helper()
	primary := newServer(t)
	primary.run("initdb", "-D", primary.data(), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	if err := appendLine(filepath.Join(primary.data(), "pg_hba.conf"), "host replication postgres 127.0.0.1/32 trust"); err != nil {
		t.Fatal(err)
	}
	primary.Start()

	replica := newServer(t)
	// -R writes standby.signal and primary_conninfo; a fast checkpoint starts the copy at once.
	replica.run("pg_basebackup", "-h", "127.0.0.1", "-p", fmt.Sprint(primary.Port), "-U", "postgres",
		"-D", replica.data(), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync")
	replica.Start()
	waitFor(t, "replica accepts read-only connections", 30*time.Second, func(ctx context.Context) error {
		var standby bool
		if err := query(ctx, replica.URL("postgres"), `SELECT pg_is_in_recovery()`, &standby); err != nil {
			return err
		}
		if !standby {
			return errors.New("the replica is not in recovery")
		}
		return nil
	})

	r := &Replicated{Primary: primary, Replica: replica, Database: "shopflow"}
	migrate(t, primary, r.Database)
	waitFor(t, "replica has the migrated database", 30*time.Second, func(ctx context.Context) error {
		var n int
		return query(ctx, r.ReplicaURL(), `SELECT count(*) FROM products`, &n)
	})
	return r
}

// migrate creates database db on s and applies Shopflow's migrations to it.
func migrate(t testing.TB, s *Server, db string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		t.Fatalf("create database %s: %v", db, err)
	}
	pool, err := pgxpool.New(ctx, s.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := migrations.Apply(ctx, pool, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate %s: %v", db, err)
	}
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
