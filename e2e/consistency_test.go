package e2e

// What no fault may break, checked once every saga has finished: no order lost or doubled,
// every saga ended placed or canceled as the database says, each placed order charged exactly
// once, no canceled order kept money, and the stock adds up.

// wantConsistent checks, once every saga of ids has finished, what a fault must never break.
func (e *env) wantConsistent(ids []string, initial map[int64]int, sandbox bool) {
	e.t.Helper()
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] {
			e.t.Errorf("checkouts with different keys share order %s", id)
		}
		seen[id] = true
		res, err := e.sagaResult(id)
		if err != nil {
			e.t.Fatalf("order %d: %v", i, err)
		}
		if status, reason, _ := e.orderRow(id); status != res.Status || reason != res.CancelReason {
			e.t.Errorf("order %s: saga says %s (%s), database says %s (%s)", id, res.Status, res.CancelReason, status, reason)
		}
	}
	if n := e.count(`SELECT count(*) FROM orders`); n != len(ids) {
		e.t.Errorf("%d orders in the database for %d accepted checkouts", n, len(ids))
	}
	if n := e.count(`SELECT count(*) FROM orders WHERE status NOT IN ('placed', 'canceled')`); n != 0 {
		e.t.Errorf("%d orders neither placed nor canceled", n)
	}
	if n := e.count(`SELECT count(*) FROM orders o WHERE o.status = 'placed' AND
		(SELECT count(*) FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded') <> 1`); n != 0 {
		e.t.Errorf("%d placed orders without exactly one succeeded payment", n)
	}
	if n := e.count(`SELECT count(*) FROM orders o WHERE o.status = 'canceled' AND
		EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded')`); n != 0 {
		e.t.Errorf("%d canceled orders kept a payment", n)
	}
	if sandbox {
		e.wantSandboxChargedOnce()
	}
	e.wantStockAddsUp(initial)
	// Whatever the faults did, stock still equals the sum of its movements.
	e.wantStockLedgerBalanced()
}

// wantSandboxChargedOnce: the provider's own books agree, one intent a placed order.
func (e *env) wantSandboxChargedOnce() {
	e.t.Helper()
	if n := e.count(`SELECT count(*) FROM orders o WHERE o.status = 'placed' AND
		(SELECT count(*) FROM sandbox_intents si WHERE si.metadata->>'order_id' = o.id::text AND si.status = 'succeeded' AND NOT si.refunded) <> 1`); n != 0 {
		e.t.Errorf("%d placed orders not charged exactly once by the provider", n)
	}
	if n := e.count(`SELECT count(*) FROM orders o JOIN sandbox_intents si ON si.metadata->>'order_id' = o.id::text
		WHERE o.status = 'canceled' AND si.status = 'succeeded' AND NOT si.refunded`); n != 0 {
		e.t.Errorf("%d canceled orders kept money at the provider", n)
	}
	if n := e.count(`SELECT count(*) FROM sandbox_intents si WHERE NOT EXISTS
		(SELECT 1 FROM orders o WHERE o.id::text = si.metadata->>'order_id')`); n != 0 {
		e.t.Errorf("%d payment intents belong to no order", n)
	}
}

// wantStockAddsUp: what is gone is exactly what placed orders bought; nothing stays held.
func (e *env) wantStockAddsUp(initial map[int64]int) {
	e.t.Helper()
	for p := range initial {
		sold := e.count(`SELECT coalesce(sum(oi.quantity), 0) FROM order_items oi JOIN orders o ON o.id = oi.order_id
			WHERE o.status = 'placed' AND oi.product_id = $1`, p)
		if onHand, reserved := e.stock(p); onHand != initial[p]-sold || reserved != 0 {
			e.t.Errorf("product %d: on_hand %d reserved %d, want %d (%d - %d sold) and 0", p, onHand, reserved, initial[p]-sold, initial[p], sold)
		}
		if facts := e.count(`SELECT coalesce(sum(quantity), 0) FROM sales_facts WHERE product_id = $1`, p); facts != sold {
			e.t.Errorf("product %d: sales facts count %d units, placed orders %d", p, facts, sold)
		}
	}
	if n := e.count(`SELECT count(*) FROM reservations WHERE status = 'held'`); n != 0 {
		e.t.Errorf("%d reservations still held", n)
	}
}
