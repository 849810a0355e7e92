package workflows

import (
	"fmt"
	"testing"

	"go.temporal.io/sdk/temporal"
)

// A cancel whose saga failed before settling the order is answered like one with no saga (the
// API then reads the order's row), not as an outage the caller would retry for ever.
func TestCancelOfAFailedCheckoutReadsAsNoSaga(t *testing.T) {
	failed := fmt.Errorf("update: %w", temporal.NewApplicationError("the checkout failed", ErrTypeCheckoutFailed))
	if !checkoutFailed(failed) || isTooLate(failed) {
		t.Fatalf("a failed checkout's update error is not recognised: %v", failed)
	}
	if checkoutFailed(temporal.NewApplicationError("too late", ErrTypeCancelTooLate)) {
		t.Fatal("too late read as a failed checkout")
	}
}
