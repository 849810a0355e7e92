package e2e

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"shopflow/payment"
	"shopflow/store"
	"shopflow/workflows"
)

// The reservation sweep takes back stock held by an order whose saga an operator terminated
// mid-wait, once the hold has expired, and starts the saga of an order left pending with none
// (its start failed): that order is then placed. A second sweep finds nothing left to do.
func TestSweepReleasesAbandonedStockAndRestartsStrandedOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPaymentTimeout(10*time.Minute))
	product := e.newProduct(5, 3000)
	cust := e.newCustomer()

	abandoned := e.abandonedOrder(cust, product, 2)
	if _, reserved := e.stock(product); reserved != 2 {
		t.Fatalf("the terminated saga's order holds %d units, want 2", reserved)
	}
	stranded := e.strandedOrder(cust, product, 1, cardVisa)

	res, _ := e.runSweep()
	if res != (workflows.SweepResult{Released: 1, Restarted: 1}) {
		t.Errorf("sweep did %+v, want 1 released and 1 restarted", res)
	}
	status, reason, _ := e.orderRow(abandoned)
	if status != store.OrderCanceled || reason != store.ReasonReservationExpiry {
		t.Errorf("abandoned order is %s (%s), want canceled (%s)", status, reason, store.ReasonReservationExpiry)
	}
	if o := e.order(cust, abandoned); o.Status != store.OrderCanceled || o.CancelReason != store.ReasonReservationExpiry {
		t.Errorf("GET abandoned order: %s (%s), want canceled (%s)", o.Status, o.CancelReason, store.ReasonReservationExpiry)
	}
	if n := e.count(`SELECT count(*) FROM reservations WHERE order_id = $1 AND status = 'held'`, abandoned); n != 0 {
		t.Errorf("abandoned order still holds %d reservations", n)
	}

	e.wantPlaced(cust, stranded, e.awaitSaga(stranded))
	if onHand, reserved := e.stock(product); onHand != 4 || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want 4 (one sold) and 0", onHand, reserved)
	}

	if again, _ := e.runSweep(); again != (workflows.SweepResult{}) {
		t.Errorf("second sweep did %+v, want nothing", again)
	}
}

// An order the sweep canceled must not keep money either. Its saga was terminated while the
// payment waited for 3-D Secure, so the intent is still open: the shopper (or the bank) can
// complete it after the order was canceled, and no saga is left to refund it. DESIGN.md: "A
// payment that succeeds after the order was canceled is refunded, never silently kept."
func TestSweptOrderKeepsNoPayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPaymentTimeout(10*time.Minute))
	product := e.newProduct(3, 5000)
	cust := e.newCustomer()

	abandoned := e.abandonedOrder(cust, product, 1)
	if res, _ := e.runSweep(); res.Released != 1 {
		t.Fatalf("sweep did %+v, want 1 released", res)
	}
	if status, reason, _ := e.orderRow(abandoned); status != store.OrderCanceled {
		t.Fatalf("abandoned order is %s (%s), want canceled", status, reason)
	}
	ins := e.intentsOf(abandoned)
	if len(ins) != 1 {
		t.Fatalf("abandoned order has intents %+v, want one", ins)
	}
	if ins[0].Status == string(payment.StatusRequiresAction) {
		t.Errorf("the swept order's payment intent %s is still %s: it can still be paid", ins[0].ID, ins[0].Status)
	}

	// The shopper finishes 3-D Secure in the tab left open. Refusing is right; so is refunding.
	code, body, err := e.send(request{method: "POST", path: "/api/v1/dev/payments/" + ins[0].ID + "/complete",
		token: cust.Token, body: map[string]bool{"succeed": true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("completing the swept order's payment: %d %s", code, body)
	if n := e.count(`SELECT count(*) FROM sandbox_intents WHERE metadata->>'order_id' = $1 AND status = 'succeeded' AND NOT refunded`, abandoned); n != 0 {
		t.Errorf("canceled order %s kept a succeeded payment (completing it answered %d)", abandoned, code)
	}
}

// abandonedOrder checks out with a card that needs 3-D Secure, waits until the saga waits for
// it, terminates the saga as an operator would, and backdates the stock hold past its expiry.
func (e *env) abandonedOrder(cust account, product int64, quantity int) string {
	e.t.Helper()
	o := e.checkout(cust, checkoutOf(card3DS, line{ProductID: product, Quantity: quantity}))
	e.awaitStep(o.ID, workflows.StepAwaitingPayment)
	ctx := context.Background()
	if err := e.temporal.TerminateWorkflow(ctx, workflows.CheckoutWorkflowID(o.ID), "", "operator: stuck saga"); err != nil {
		e.t.Fatalf("terminate saga of %s: %v", o.ID, err)
	}
	if _, err := e.db.Exec(ctx, `UPDATE reservations SET expires_at = now() - interval '1 minute' WHERE order_id = $1`, o.ID); err != nil {
		e.t.Fatal(err)
	}
	return o.ID
}

// strandedOrder writes a pending order as the checkout handler does, ten minutes ago, and starts
// no saga for it: as if Temporal had been unreachable when the shopper checked out.
func (e *env) strandedOrder(cust account, product int64, quantity int, card string) string {
	e.t.Helper()
	var id string
	err := e.db.QueryRow(context.Background(), `
		WITH o AS (
			INSERT INTO orders (customer_id, status, currency, total_cents, subtotal_cents, payment_method, shipping_address, created_at, updated_at)
			SELECT $1, 'pending', p.currency, p.price_cents * $3, p.price_cents * $3, $4,
			       '{"name":"Casey Shopper","line1":"1 Main St","city":"Springfield","postal_code":"12345","country":"US"}',
			       now() - interval '10 minutes', now() - interval '10 minutes'
			FROM products p WHERE p.id = $2
			RETURNING id),
		lines AS (
			INSERT INTO order_items (order_id, line_no, product_id, seller_id, quantity, unit_price_cents, currency)
			SELECT o.id, 1, p.id, p.seller_id, $3, p.price_cents, p.currency FROM o, products p WHERE p.id = $2)
		INSERT INTO order_events (order_id, status, note, created_at)
		SELECT o.id, 'pending', 'order received', now() - interval '10 minutes' FROM o
		RETURNING order_id::text`, cust.ID, product, quantity, card).Scan(&id)
	if err != nil {
		e.t.Fatalf("write stranded order: %v", err)
	}
	return id
}

// runSweep runs the reservation sweep once on the env's task queue, as its Schedule would.
func (e *env) runSweep() (workflows.SweepResult, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sagaDeadline)
	defer cancel()
	id := "sweep-" + randHex(6)
	run, err := e.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: e.cfg.TaskQueue},
		workflows.SweepWorkflowName, workflows.SweepInput{})
	if err != nil {
		e.t.Fatalf("start sweep: %v", err)
	}
	var res workflows.SweepResult
	if err := run.Get(ctx, &res); err != nil {
		e.t.Fatalf("sweep %s: %v", id, err)
	}
	return res, id
}
