package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"shopflow/activities"
)

// The expiry run passes the configured TTL on and reports what the activity deleted.
func TestExpireIdempotencyKeysUsesTheTTL(t *testing.T) {
	t.Parallel()
	env := newTestEnv()
	Register(env)
	var a *activities.Housekeeping
	env.RegisterActivity(a)
	env.OnActivity(a.ExpireIdempotencyKeys, mock.Anything, activities.ExpireIdempotencyKeysInput{TTL: 36 * time.Hour, Batch: 1000}).
		Return(activities.ExpireIdempotencyKeysResult{Deleted: 1234}, nil).Once()
	env.ExecuteWorkflow(ExpireIdempotencyKeysWorkflowName, ExpireIdempotencyKeysInput{TTL: 36 * time.Hour})
	if r := completed[ExpireIdempotencyKeysResult](t, env); r.Deleted != 1234 {
		t.Fatalf("deleted %d, want 1234", r.Deleted)
	}
	env.AssertExpectations(t)
}
