// Package store is Shopflow's Postgres data layer (pgx/v5): one file per aggregate, every
// multi-statement change through InTx, and Postgres errors translated into the errs vocabulary.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/errs"
	"shopflow/pricing"
)

// Store reads and writes Shopflow's data.
type Store struct {
	Pool *pgxpool.Pool
	// PricesIncludeTax says catalog prices have tax in them (SHOPFLOW_PRICES_INCLUDE_TAX).
	PricesIncludeTax bool
	// Tax taxes orders; nil uses the shop's own rate table (pricing.Table).
	Tax pricing.TaxProvider
	// replicas serve the reads that may be a little stale (replica.go); nil reads the primary.
	replicas *Replicas
}

// New returns a Store over an open pool.
func New(pool *pgxpool.Pool) *Store { return &Store{Pool: pool} }

// Open connects to databaseURL and checks the connection; tracer, when not nil, sees every query.
func Open(ctx context.Context, databaseURL string, tracer pgx.QueryTracer) (*pgxpool.Pool, error) {
	cfg, err := poolConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	if tracer != nil {
		cfg.ConnConfig.Tracer = tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database %s: %w", cfg.ConnConfig.Host, err)
	}
	return pool, nil
}

// poolConfig is the pool's configuration: the URL's, with Shopflow's defaults where it is silent.
func poolConfig(databaseURL string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	// pgx's default pool (the larger of 4 and the number of CPUs) is too small for a process
	// that serves the API and runs checkout sagas at once: every request and every saga step
	// holds a connection, so on a small machine most of them would queue for one. The URL's
	// pool_max_conns, when set, still wins.
	if !strings.Contains(databaseURL, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	// Without a connect timeout a Postgres host that drops packets makes every new connection
	// (and the request waiting for it) hang for the kernel's TCP timeout, minutes; with one the
	// caller gets an error it reports as 503. The URL's connect_timeout, when set, still wins.
	if !strings.Contains(databaseURL, "connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	return cfg, nil
}

// defaultMaxConns is the pool size when the database URL does not set pool_max_conns.
const defaultMaxConns = 20

// defaultConnectTimeout bounds opening one connection when the URL does not set connect_timeout.
const defaultConnectTimeout = 5 * time.Second

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.Pool.Ping(ctx) }

// maxTxAttempts bounds retries of transactions that lost a serialization or deadlock race.
const maxTxAttempts = 5

// InTx runs fn in one transaction, committing when it returns nil and rolling back otherwise.
// Serialization failures and deadlocks are retried, so fn must be safe to run again. The
// audit actor and stock cause ctx carries are set for the transaction first (txsettings.go).
func (s *Store) InTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
			if err := applyTxSettings(ctx, tx); err != nil {
				return err
			}
			return fn(tx)
		})
		if !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
	return err
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// classify turns a Postgres failure into a domain error: constraint violations are the client's
// problem (conflict or validation), no rows is not found, anything else stays internal.
// what names the thing being worked on, for the client-safe message.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return errs.Wrap(err, errs.NotFound, "%s not found", what)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return errs.Wrap(err, errs.Conflict, "%s already exists", what).WithDetails("constraint", pgErr.ConstraintName)
		case "23503": // foreign_key_violation
			return errs.Wrap(err, errs.Unprocessable, "%s refers to something that does not exist", what).WithDetails("constraint", pgErr.ConstraintName)
		case "23514": // check_violation
			return errs.Wrap(err, errs.Conflict, "%s would break a rule: %s", what, pgErr.ConstraintName).WithDetails("constraint", pgErr.ConstraintName)
		case "22001", "22003", "22P02": // string too long, numeric out of range, bad text representation
			return errs.Wrap(err, errs.Unprocessable, "%s has a value out of range", what)
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}
