package store_test

import (
	"context"
	"testing"
	"time"

	"shopflow/store"
	"shopflow/store/storetest"
)

// The cleanup deletes only keys past the TTL, in bounded batches.
func TestDeleteExpiredIdempotencyKeys(t *testing.T) {
	t.Parallel()
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	if _, err := st.Pool.Exec(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, created_at)
		SELECT 's', 'old-' || g, 'h', now() - interval '25 hours' FROM generate_series(1, 5) g
		UNION ALL SELECT 's', 'new-' || g, 'h', now() - interval '23 hours' FROM generate_series(1, 3) g`); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, want := range []int64{2, 2, 1, 0} {
		n, err := st.DeleteExpiredIdempotencyKeys(ctx, 24*time.Hour, 2)
		if err != nil || n != want {
			t.Fatalf("batch deleted %d (%v), want %d", n, err, want)
		}
		total += n
	}
	var left int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM idempotency_keys WHERE key LIKE 'new-%'`).Scan(&left); err != nil || left != 3 || total != 5 {
		t.Fatalf("deleted %d, %d fresh keys left (%v); want 5 deleted, 3 left", total, left, err)
	}
}
