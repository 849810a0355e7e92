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

// A request that outlived its lease, and whose claim a retry took over, can neither complete
// nor release the key: the retry owns it now.
func TestTakenOverClaimStaysWithItsNewOwner(t *testing.T) {
	t.Parallel()
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	p := store.IdempotencyPolicy{TTL: 24 * time.Hour, Lease: 2 * time.Minute}
	claimed, first, err := st.ClaimIdempotencyKey(ctx, "s", "k", "h", p)
	if err != nil || !claimed {
		t.Fatalf("first claim: %v %v", claimed, err)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE idempotency_keys SET created_at = created_at - interval '3 minutes'`); err != nil {
		t.Fatal(err)
	}
	stale := first.ClaimedAt.Add(-3 * time.Minute)
	claimed, second, err := st.ClaimIdempotencyKey(ctx, "s", "k", "h", p)
	if err != nil || !claimed {
		t.Fatalf("take-over after the lease: %v %v", claimed, err)
	}
	if err := st.CompleteIdempotencyKey(ctx, "s", "k", stale, 201, nil, []byte(`{"late":true}`)); err != nil {
		t.Fatal(err)
	}
	if err := st.ReleaseIdempotencyKey(ctx, "s", "k", stale); err != nil {
		t.Fatal(err)
	}
	_, prev, err := st.ClaimIdempotencyKey(ctx, "s", "k", "h", p)
	if err != nil || prev.Done {
		t.Fatalf("the stale request completed or released the new claim: %+v %v", prev, err)
	}
	if err := st.CompleteIdempotencyKey(ctx, "s", "k", second.ClaimedAt, 201, nil, []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	if _, prev, err = st.ClaimIdempotencyKey(ctx, "s", "k", "h", p); err != nil || !prev.Done || string(prev.Body) != `{"ok":true}` {
		t.Fatalf("the new owner's answer: %+v %v", prev, err)
	}
}
