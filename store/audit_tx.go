package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// execInTx runs one statement in its own transaction through InTx, so the audit actor ctx
// carries reaches the audit trigger; a plain s.Pool.Exec would leave the change unrecorded.
func (s *Store) execInTx(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		tag, err = tx.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

// queryRowInTx is execInTx for a statement returning one row, handed to scan.
func (s *Store) queryRowInTx(ctx context.Context, scan func(pgx.Row) error, sql string, args ...any) error {
	return s.InTx(ctx, func(tx pgx.Tx) error { return scan(tx.QueryRow(ctx, sql, args...)) })
}
