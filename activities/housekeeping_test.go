package activities_test

import (
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
	"shopflow/store"
	"shopflow/store/storetest"
)

// A backlog larger than a batch is deleted in full, fresh keys stay.
func TestExpireIdempotencyKeysDeletesTheWholeBacklog(t *testing.T) {
	t.Parallel()
	st := store.New(storetest.NewPool(t))
	if _, err := st.Pool.Exec(t.Context(), `INSERT INTO idempotency_keys (scope, key, request_hash, created_at)
		SELECT 's', 'old-' || g, 'h', now() - interval '2 days' FROM generate_series(1, 25) g
		UNION ALL SELECT 's', 'fresh', 'h', now()`); err != nil {
		t.Fatal(err)
	}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Housekeeping{Store: st})
	v, err := env.ExecuteActivity((&activities.Housekeeping{}).ExpireIdempotencyKeys,
		activities.ExpireIdempotencyKeysInput{TTL: 24 * time.Hour, Batch: 10})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.ExpireIdempotencyKeysResult
	if err := v.Get(&res); err != nil || res.Deleted != 25 {
		t.Fatalf("deleted %d (%v), want 25", res.Deleted, err)
	}
	var left int
	if err := st.Pool.QueryRow(t.Context(), `SELECT count(*) FROM idempotency_keys`).Scan(&left); err != nil || left != 1 {
		t.Fatalf("%d keys left (%v), want the fresh one", left, err)
	}
}
