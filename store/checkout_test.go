package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"shopflow/store"
)

func (f *orderFixture) order(items ...store.OrderItem) store.Order {
	f.t.Helper()
	o, _, err := f.st.CreateOrder(context.Background(), f.newOrder(items...))
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

func (f *orderFixture) stock(product int64) (onHand, reserved int) {
	f.t.Helper()
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT on_hand, reserved FROM inventory WHERE product_id = $1`, product).Scan(&onHand, &reserved); err != nil {
		f.t.Fatal(err)
	}
	return onHand, reserved
}

func (f *orderFixture) status(orderID string) (status string, reason *string) {
	f.t.Helper()
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT status, cancel_reason FROM orders WHERE id = $1`, orderID).Scan(&status, &reason); err != nil {
		f.t.Fatal(err)
	}
	return status, reason
}

// TestReserveIsAllOrNothing: when one line is short, no line stays held.
func TestReserveIsAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	plenty := f.product(f.sellerA, "active", "USD", 100, 50)
	scarce := f.product(f.sellerB, "active", "USD", 100, 1)
	o := f.order(store.OrderItem{ProductID: plenty, Quantity: 5}, store.OrderItem{ProductID: scarce, Quantity: 2})
	res, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Reserved || len(res.Short) != 1 || res.Short[0] != scarce {
		t.Fatalf("reserve = %+v, want short of %d only", res, scarce)
	}
	if _, r := f.stock(plenty); r != 0 {
		t.Fatalf("plenty reserved %d after a failed reservation", r)
	}
	if n := f.count(`SELECT count(*) FROM reservations WHERE order_id = $1`, o.ID); n != 0 {
		t.Fatalf("%d reservation rows left", n)
	}
	if st, _ := f.status(o.ID); st != store.OrderPending {
		t.Fatalf("status %s", st)
	}
	rel, err := f.st.ReleaseOrder(ctx, o.ID, store.ReasonOutOfStock)
	if err != nil || !rel.Canceled {
		t.Fatalf("release: %+v %v", rel, err)
	}
	if st, reason := f.status(o.ID); st != store.OrderCanceled || reason == nil || *reason != store.ReasonOutOfStock {
		t.Fatalf("status %s reason %v", st, reason)
	}
}

// TestReserveNeverOversells: many orders race for few units; exactly the units there are get
// held, and the inventory check never breaks.
func TestReserveNeverOversells(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 20)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 10)
	other := f.product(f.sellerB, "active", "USD", 100, 1000)
	orders := make([]store.Order, 60)
	for i := range orders {
		no := f.newOrder(store.OrderItem{ProductID: other, Quantity: 1}, store.OrderItem{ProductID: p, Quantity: 1})
		no.IdempotencyKey = fmt.Sprintf("race-%d", i)
		o, _, err := f.st.CreateOrder(ctx, no)
		if err != nil {
			t.Fatal(err)
		}
		orders[i] = o
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	reserved, short := 0, 0
	for _, o := range orders {
		wg.Go(func() {
			res, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("reserve %s: %v", o.ID, err)
			case res.Reserved:
				reserved++
			default:
				short++
			}
		})
	}
	wg.Wait()
	if reserved != 10 || short != 50 {
		t.Fatalf("reserved %d, short %d; want 10 and 50", reserved, short)
	}
	if onHand, r := f.stock(p); onHand != 10 || r != 10 {
		t.Fatalf("scarce product on_hand %d reserved %d", onHand, r)
	}
	if _, r := f.stock(other); r != 10 {
		t.Fatalf("other product reserved %d; the short orders must hold none of it", r)
	}
}

// TestConfirmTakesStockRecordsSaleAndNotifies: placing moves held stock out for good, writes
// one sales fact per line, queues the customer's notification, and is idempotent.
func TestConfirmTakesStockRecordsSaleAndNotifies(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	a := f.product(f.sellerA, "active", "USD", 250, 10)
	b := f.product(f.sellerB, "active", "USD", 100, 10)
	o := f.order(store.OrderItem{ProductID: a, Quantity: 3}, store.OrderItem{ProductID: b, Quantity: 1})
	if res, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		t.Fatalf("reserve: %+v %v", res, err)
	}
	// Reserving again (an activity retried after a crash) holds nothing more.
	if res, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		t.Fatalf("reserve again: %+v %v", res, err)
	}
	if _, r := f.stock(a); r != 3 {
		t.Fatalf("reserved %d after a retried reservation, want 3", r)
	}
	for i := 0; i < 2; i++ { // the second confirm is a retry and must change nothing
		res, err := f.st.ConfirmOrder(ctx, o.ID)
		if err != nil || !res.Placed {
			t.Fatalf("confirm #%d: %+v %v", i+1, res, err)
		}
	}
	if onHand, r := f.stock(a); onHand != 7 || r != 0 {
		t.Fatalf("a: on_hand %d reserved %d", onHand, r)
	}
	if n := f.count(`SELECT count(*) FROM sales_facts WHERE source = 'shopflow' AND external_order_id = $1`, o.ID); n != 2 {
		t.Fatalf("%d sales facts, want 2", n)
	}
	if n := f.count(`SELECT sum(quantity * unit_price_cents)::int FROM sales_facts WHERE external_order_id = $1`, o.ID); n != 850 {
		t.Fatalf("sales revenue %d, want 850", n)
	}
	if n := f.count(`SELECT count(*) FROM notification_outbox WHERE kind = 'order_placed' AND recipient_id = $1`, f.customer); n != 1 {
		t.Fatalf("%d order_placed notifications", n)
	}
	if n := f.count(`SELECT count(*) FROM reservations WHERE order_id = $1 AND status = 'committed'`, o.ID); n != 2 {
		t.Fatalf("%d committed reservations", n)
	}
	// A placed order cannot be released: its stock is sold.
	rel, err := f.st.ReleaseOrder(ctx, o.ID, store.ReasonPaymentTimeout)
	if err != nil || rel.Canceled || rel.Status != store.OrderPlaced {
		t.Fatalf("release of a placed order: %+v %v", rel, err)
	}
}

// TestReleaseReturnsStock: releasing puts held stock back, once, and confirming afterwards
// refuses (the saga then refunds).
func TestReleaseReturnsStock(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 5)
	o := f.order(store.OrderItem{ProductID: p, Quantity: 4})
	if res, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		t.Fatalf("reserve: %+v %v", res, err)
	}
	for i := 0; i < 2; i++ {
		if rel, err := f.st.ReleaseOrder(ctx, o.ID, store.ReasonPaymentTimeout); err != nil || !rel.Canceled {
			t.Fatalf("release #%d: %+v %v", i+1, rel, err)
		}
	}
	if onHand, r := f.stock(p); onHand != 5 || r != 0 {
		t.Fatalf("on_hand %d reserved %d", onHand, r)
	}
	res, err := f.st.ConfirmOrder(ctx, o.ID)
	if err != nil || res.Placed || res.Status != store.OrderCanceled {
		t.Fatalf("confirm after release: %+v %v", res, err)
	}
	// A saga replayed after a crash reserves again and must learn why the order was canceled.
	again, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour))
	if err != nil || again.Reserved || again.Status != store.OrderCanceled || again.CancelReason != store.ReasonPaymentTimeout {
		t.Fatalf("reserve after release: %+v %v", again, err)
	}
	if n := f.count(`SELECT count(*) FROM sales_facts WHERE external_order_id = $1`, o.ID); n != 0 {
		t.Fatal("a canceled order recorded a sale")
	}
	if n := f.count(`SELECT count(*) FROM notification_outbox WHERE kind = 'order_canceled'`); n != 1 {
		t.Fatalf("%d order_canceled notifications, want 1", n)
	}
}

// TestLowStockAlertsOncePerCrossing: sales that take stock to or below the threshold alert the
// seller once; more sales below it do not; restocking above it re-arms the alert.
func TestLowStockAlertsOncePerCrossing(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 10)
	f.exec(`UPDATE inventory SET low_stock_threshold = 5 WHERE product_id = $1`, p)
	alerts := func() int {
		return f.count(`SELECT count(*) FROM notification_outbox WHERE kind = 'low_stock' AND payload->>'product_id' = $1`, fmt.Sprint(p))
	}
	f.placed(store.OrderItem{ProductID: p, Quantity: 4}) // 6 left: above the threshold
	if n := alerts(); n != 0 {
		t.Fatalf("%d alerts above the threshold", n)
	}
	f.placed(store.OrderItem{ProductID: p, Quantity: 1}) // 5 left: crossed
	f.placed(store.OrderItem{ProductID: p, Quantity: 2}) // 3 left: still below
	if n := alerts(); n != 1 {
		t.Fatalf("%d alerts after one crossing, want 1", n)
	}
	if _, err := f.st.SetInventory(ctx, p, 20, nil); err != nil { // restocked: re-armed
		t.Fatal(err)
	}
	f.placed(store.OrderItem{ProductID: p, Quantity: 16}) // 4 left: crossed again
	if n := alerts(); n != 2 {
		t.Fatalf("%d alerts after two crossings, want 2", n)
	}
}

// TestExpiredReservationsAndStalePending lists what the sweep acts on.
func TestExpiredReservationsAndStalePending(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 10)
	held := f.order(store.OrderItem{ProductID: p, Quantity: 1})
	if _, err := f.st.ReserveOrder(ctx, held.ID, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	fresh := f.order(store.OrderItem{ProductID: p, Quantity: 1})
	if _, err := f.st.ReserveOrder(ctx, fresh.ID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	pending := f.order(store.OrderItem{ProductID: p, Quantity: 1})
	expired, err := f.st.ExpiredReservationOrders(ctx, time.Now(), 10)
	if err != nil || len(expired) != 1 || expired[0].OrderID != held.ID || expired[0].IntentID != "" {
		t.Fatalf("expired = %v, %v; want only %s", expired, err, held.ID)
	}
	stale, err := f.st.StalePendingOrders(ctx, time.Now().Add(time.Second), 10)
	if err != nil || len(stale) != 1 || stale[0].OrderID != pending.ID || stale[0].CustomerID != f.customer {
		t.Fatalf("stale = %+v, %v; want only %s", stale, err, pending.ID)
	}
	if stale, _ := f.st.StalePendingOrders(ctx, time.Now().Add(-time.Hour), 10); len(stale) != 0 {
		t.Fatalf("orders younger than the cut-off listed: %+v", stale)
	}
}

// TestRecordPaymentTimeline: payment states land on the payments row and the order timeline,
// once per change.
func TestRecordPaymentTimeline(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 10)
	o := f.order(store.OrderItem{ProductID: p, Quantity: 1})
	rec := store.PaymentRecord{Provider: "sandbox", IntentID: "pi_1", Status: "requires_action", AmountCents: 100, Currency: "USD"}
	for _, status := range []string{"requires_action", "requires_action", "succeeded"} {
		rec.Status = status
		if err := f.st.RecordPayment(ctx, o.ID, rec); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND status LIKE 'payment_%'`, o.ID); n != 2 {
		t.Fatalf("%d payment events, want 2 (a repeated status adds none)", n)
	}
	got, err := f.st.OrderByID(ctx, o.ID)
	if err != nil || got.Payment == nil || got.Payment.Status != "succeeded" || got.Payment.IntentID != "pi_1" {
		t.Fatalf("order payment = %+v, %v", got.Payment, err)
	}
}

// TestConfirmCountsEachLineOnce: a line another path (the ingest API, a batch file) already
// counted is not counted again when the checkout places the order.
func TestConfirmCountsEachLineOnce(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	a := f.product(f.sellerA, "active", "USD", 100, 10)
	b := f.product(f.sellerB, "active", "USD", 100, 10)
	o := f.order(store.OrderItem{ProductID: a, Quantity: 1}, store.OrderItem{ProductID: b, Quantity: 1})
	f.exec(`INSERT INTO sale_keys (source, external_order_id, line_no, ordered_at) VALUES ('shopflow', $1, 1, now())`, o.ID)
	if res, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		t.Fatalf("reserve: %+v %v", res, err)
	}
	if res, err := f.st.ConfirmOrder(ctx, o.ID); err != nil || !res.Placed {
		t.Fatalf("confirm: %+v %v", res, err)
	}
	if n := f.count(`SELECT count(*) FROM sales_facts WHERE external_order_id = $1`, o.ID); n != 1 {
		t.Fatalf("%d facts, want 1: line 1 was already counted", n)
	}
	if n := f.count(`SELECT count(*) FROM sales_facts WHERE external_order_id = $1 AND line_no = 2`, o.ID); n != 1 {
		t.Fatal("line 2 not counted")
	}
}
