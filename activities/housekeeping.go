package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"shopflow/store"
)

// Housekeeping holds what the scheduled clean-ups need.
type Housekeeping struct {
	Store *store.Store
}

// ExpireIdempotencyKeysInput says which keys have expired.
type ExpireIdempotencyKeysInput struct {
	// TTL is SHOPFLOW_IDEMPOTENCY_TTL: keys claimed longer ago are deleted.
	TTL time.Duration
	// Batch bounds one delete statement, so a large backlog never holds long locks.
	Batch int
}

// ExpireIdempotencyKeysResult counts what was deleted.
type ExpireIdempotencyKeysResult struct {
	Deleted int64
}

// ExpireIdempotencyKeys deletes expired Idempotency-Keys in batches until none is left,
// heartbeating the count so a retry after a worker restart simply continues.
func (a *Housekeeping) ExpireIdempotencyKeys(ctx context.Context, in ExpireIdempotencyKeysInput) (ExpireIdempotencyKeysResult, error) {
	var res ExpireIdempotencyKeysResult
	batch := max(in.Batch, 1)
	for {
		n, err := a.Store.DeleteExpiredIdempotencyKeys(ctx, in.TTL, batch)
		if err != nil {
			return res, fmt.Errorf("expire idempotency keys after %d: %w", res.Deleted, err)
		}
		res.Deleted += n
		activity.RecordHeartbeat(ctx, res.Deleted)
		if n < int64(batch) {
			return res, nil
		}
	}
}
