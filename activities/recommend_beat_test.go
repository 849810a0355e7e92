package activities

import (
	"context"
	"testing"
	"time"
)

// TestKeepBeatingRepeatsTheLastDetails: while a step runs long, its progress is heartbeated
// again and again, so the server does not time the activity out.
func TestKeepBeatingRepeatsTheLastDetails(t *testing.T) {
	beats := make(chan any, 100)
	beat := keepBeating(context.Background(), time.Millisecond, func(d any) {
		select {
		case beats <- d:
		default:
		}
	})
	beat("counting pairs")
	// Stands for one long statement: it ends once the step has been heartbeated 4 times.
	for seen := 0; seen < 4; {
		if d := <-beats; d != "counting pairs" {
			t.Fatalf("heartbeat %v, want the last step's details", d)
		}
		seen++
	}
	beat(nil)
	beat(nil) // stopping twice is harmless
}
