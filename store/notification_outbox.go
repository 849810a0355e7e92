package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OutboxItem is a notification queued by a business event (checkout, fulfilment, stock).
type OutboxItem struct {
	ID          int64           `json:"id"`
	Key         string          `json:"key"`
	RecipientID string          `json:"recipient_id"`
	Kind        string          `json:"kind"`
	Payload     json.RawMessage `json:"payload"`
	CreatedAt   time.Time       `json:"created_at"`
}

// QueuedOutbox returns up to limit queued outbox items after id afterID, oldest first.
func (s *Store) QueuedOutbox(ctx context.Context, afterID int64, limit int) ([]OutboxItem, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, key, recipient_id::text, kind, payload, created_at
		FROM notification_outbox WHERE status = 'queued' AND id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("queued outbox: %w", classify(err, "outbox"))
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OutboxItem, error) {
		var it OutboxItem
		err := r.Scan(&it.ID, &it.Key, &it.RecipientID, &it.Kind, &it.Payload, &it.CreatedAt)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("queued outbox: %w", classify(err, "outbox"))
	}
	return items, nil
}

// FinishOutbox marks a queued outbox item sent or failed.
func (s *Store) FinishOutbox(ctx context.Context, id int64, status string) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE notification_outbox SET status = $2 WHERE id = $1 AND status = 'queued'`, id, status); err != nil {
		return fmt.Errorf("finish outbox %d: %w", id, classify(err, "outbox"))
	}
	return nil
}

// OutboxChannel is the Postgres channel on which queued notifications are announced to the
// workers (worker.OutboxPush LISTENs on it).
const OutboxChannel = "shopflow_outbox"

// AnnounceOutbox tells listening workers that notifications were queued (outbox items or a
// notification file), so they deliver them now rather than at the next one-minute Schedule
// run. It is called after the queuing transaction committed, as a statement of its own: a
// NOTIFY inside a transaction holds a database-wide lock from the start of its commit to the
// end, WAL flush included, so every order commit would wait for the one before it; a NOTIFY on
// its own writes no WAL. A lost announcement costs latency, not a notification: the Schedule
// drains anyway, so its error is not the caller's concern.
func (s *Store) AnnounceOutbox(ctx context.Context) {
	_, _ = s.Pool.Exec(context.WithoutCancel(ctx), `SELECT pg_notify($1, '')`, OutboxChannel)
}

// drainLockKey is the advisory lock held by whoever delivers queued notifications or files.
const drainLockKey int64 = 0x5368_6f70_4f75_7462 // "ShopOutb"

// WithDrainLock runs fn while holding the deployment-wide lock of notification delivery, so the
// pushed drain and the Schedule's never work side by side: two drains meeting on one item would
// each see the other's send in flight, and could settle the item (or a file's results) wrongly.
// It waits for the lock as long as ctx allows. The lock is a session lock on a connection of
// its own; if that connection dies, Postgres releases the lock with it.
func (s *Store) WithDrainLock(ctx context.Context, fn func() error) error {
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("drain lock: %w", classify(err, "drain lock"))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, drainLockKey); err != nil {
		return fmt.Errorf("drain lock: %w", classify(err, "drain lock"))
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, drainLockKey); err != nil {
			// A connection that may still hold the lock must not go back to the pool.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	return fn()
}
