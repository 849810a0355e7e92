package store

import (
	"testing"

	"shopflow/errs"
)

// TestFulfilmentFollowsTheStateMachine pins what fulfilment derives from the transition table:
// lines ship only while the order is placed (or partially refunded, its other lines still to
// fulfil), and are delivered while it is placed, partially refunded or shipped; every other
// status refuses with the state machine's conflict.
func TestFulfilmentFollowsTheStateMachine(t *testing.T) {
	for status := range orderTransitions {
		for _, to := range []string{FulfilmentShipped, FulfilmentDelivered} {
			allowed := status == OrderPlaced || status == OrderPartiallyRefunded || (to == FulfilmentDelivered && status == OrderShipped)
			err := checkOrderFulfils(status, to)
			if allowed && err != nil {
				t.Errorf("lines of a %s order moving to %s: %v, want allowed", status, to, err)
			}
			if !allowed && errs.CodeOf(err) != errs.Conflict {
				t.Errorf("lines of a %s order moving to %s: %v, want a conflict", status, to, err)
			}
		}
	}
	if err := checkOrderFulfils(OrderPlaced, FulfilmentPending); err == nil || errs.CodeOf(err) == errs.Conflict {
		t.Errorf("moving lines back to pending: %v, want an internal error", err)
	}
}

// TestLineSteps pins the line state machine: one step at a time, pending -> shipped -> delivered.
func TestLineSteps(t *testing.T) {
	cases := []struct {
		state, to      string
		moves, reached bool
	}{
		{FulfilmentPending, FulfilmentShipped, true, false},
		{FulfilmentPending, FulfilmentDelivered, false, false},
		{FulfilmentShipped, FulfilmentShipped, false, true},
		{FulfilmentShipped, FulfilmentDelivered, true, false},
		{FulfilmentDelivered, FulfilmentShipped, false, true},
		{FulfilmentDelivered, FulfilmentDelivered, false, true},
		{"lost", FulfilmentPending, false, false},
	}
	for _, c := range cases {
		if got := lineMovesTo(c.state, c.to); got != c.moves {
			t.Errorf("lineMovesTo(%s, %s) = %v, want %v", c.state, c.to, got, c.moves)
		}
		if got := lineReached(c.state, c.to); got != c.reached {
			t.Errorf("lineReached(%s, %s) = %v, want %v", c.state, c.to, got, c.reached)
		}
	}
}
