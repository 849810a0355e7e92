package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"shopflow/payment"
	"shopflow/store"
	"shopflow/workflows"
)

// awaitSaga waits for the order's saga to finish and returns its result.
func (e *env) awaitSaga(orderID string) workflows.CheckoutResult {
	e.t.Helper()
	res, err := e.sagaResult(orderID)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// sagaResult waits, up to sagaDeadline, for the order's saga to finish.
func (e *env) sagaResult(orderID string) (workflows.CheckoutResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sagaDeadline)
	defer cancel()
	var res workflows.CheckoutResult
	if err := e.temporal.GetWorkflow(ctx, workflows.CheckoutWorkflowID(orderID), "").Get(ctx, &res); err != nil {
		return res, fmt.Errorf("saga of order %s: %w", orderID, err)
	}
	return res, nil
}

// awaitStep waits until the order's saga answers the step query with want.
func (e *env) awaitStep(orderID, want string) {
	e.t.Helper()
	var last string
	eventually(e.t, 30*time.Second, func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		step, err := e.checkouts.Step(ctx, orderID)
		if last = step; err != nil {
			last = err.Error() // not started yet, or no worker has picked it up
		}
		return step == want, nil
	}, func() string {
		return fmt.Sprintf("saga of order %s in step %s (last answer: %s)", orderID, want, last)
	})
}

// eventually polls cond until it holds, failing the test after timeout with what() in the
// message. Visibility and queries are eventually consistent, so tests poll them to a deadline.
func eventually(t *testing.T, timeout time.Duration, cond func() (bool, error), what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// --- database ---

// stock is a product's inventory row.
func (e *env) stock(productID int64) (onHand, reserved int) {
	e.t.Helper()
	if err := e.db.QueryRow(context.Background(), `SELECT on_hand, reserved FROM inventory WHERE product_id = $1`, productID).
		Scan(&onHand, &reserved); err != nil {
		e.t.Fatalf("inventory of product %d: %v", productID, err)
	}
	return onHand, reserved
}

// count runs a SELECT count(*) query.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// orderRow is the order as stored.
func (e *env) orderRow(id string) (status, cancelReason, intentID string) {
	e.t.Helper()
	if err := e.db.QueryRow(context.Background(),
		`SELECT status, coalesce(cancel_reason, ''), coalesce(payment_intent_id, '') FROM orders WHERE id = $1`, id).
		Scan(&status, &cancelReason, &intentID); err != nil {
		e.t.Fatalf("order %s: %v", id, err)
	}
	return status, cancelReason, intentID
}

// intent is a sandbox payment intent as stored.
type intent struct {
	ID       string
	Status   string
	Refunded bool
}

// intentsOf lists every sandbox intent created for the order.
func (e *env) intentsOf(orderID string) []intent {
	e.t.Helper()
	rows, err := e.db.Query(context.Background(),
		`SELECT id, status, refunded FROM sandbox_intents WHERE metadata->>'order_id' = $1 ORDER BY created_at`, orderID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []intent
	for rows.Next() {
		var in intent
		if err := rows.Scan(&in.ID, &in.Status, &in.Refunded); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// --- assertions ---

// wantCanceled checks an order ended canceled for reason, through the saga, the database and
// the API, with its stock back on sale.
func (e *env) wantCanceled(cust account, orderID, reason string, res workflows.CheckoutResult) {
	e.t.Helper()
	if res.Status != store.OrderCanceled || res.CancelReason != reason {
		e.t.Errorf("saga of %s ended %s (%s), want canceled (%s)", orderID, res.Status, res.CancelReason, reason)
	}
	if status, got, _ := e.orderRow(orderID); status != store.OrderCanceled || got != reason {
		e.t.Errorf("order %s stored %s (%s), want canceled (%s)", orderID, status, got, reason)
	}
	if o := e.order(cust, orderID); o.Status != store.OrderCanceled || o.CancelReason != reason {
		e.t.Errorf("GET order %s: %s (%s), want canceled (%s)", orderID, o.Status, o.CancelReason, reason)
	}
	if n := e.count(`SELECT count(*) FROM reservations WHERE order_id = $1 AND status = 'held'`, orderID); n != 0 {
		e.t.Errorf("order %s still holds %d reservations", orderID, n)
	}
}

// wantPlaced checks an order ended placed and paid, through the saga, the database and the API.
func (e *env) wantPlaced(cust account, orderID string, res workflows.CheckoutResult) {
	e.t.Helper()
	if res.Status != store.OrderPlaced {
		e.t.Errorf("saga of %s ended %s (%s), want placed", orderID, res.Status, res.CancelReason)
	}
	status, reason, intentID := e.orderRow(orderID)
	if status != store.OrderPlaced {
		e.t.Errorf("order %s stored %s (%s), want placed", orderID, status, reason)
	}
	o := e.order(cust, orderID)
	if o.Status != store.OrderPlaced {
		e.t.Errorf("GET order %s: %s, want placed", orderID, o.Status)
	}
	if o.Payment == nil || o.Payment.IntentID != intentID || o.Payment.Status != string(payment.StatusSucceeded) {
		e.t.Errorf("GET order %s: payment %+v, want intent %s succeeded", orderID, o.Payment, intentID)
	}
	if len(o.Lines) == 0 || len(o.Timeline) == 0 {
		e.t.Errorf("GET order %s: %d lines and %d timeline events, want some of each", orderID, len(o.Lines), len(o.Timeline))
	}
	if n := e.count(`SELECT count(*) FROM payments WHERE order_id = $1 AND status = 'succeeded'`, orderID); n != 1 {
		e.t.Errorf("order %s has %d succeeded payments, want 1", orderID, n)
	}
	if ins := e.intentsOf(orderID); len(ins) != 1 || ins[0].Status != string(payment.StatusSucceeded) || ins[0].Refunded {
		e.t.Errorf("order %s has intents %+v, want one succeeded and kept", orderID, ins)
	}
}
