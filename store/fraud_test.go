package store_test

import (
	"context"
	"testing"
	"time"

	"shopflow/errs"
	"shopflow/store"
)

// The signals query counts, within the window before the order and excluding it, the orders
// of the same customer, card and address, each up to the limit; and whether the customer had
// an earlier order placed.
func TestFraudSignals(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 2500, 100)
	item := store.OrderItem{ProductID: p, Quantity: 1}

	first := f.order(item)
	sig, err := f.st.FraudSignalsOf(ctx, first.ID, time.Hour, 100)
	if err != nil {
		t.Fatal(err)
	}
	if sig.CustomerID != f.customer || sig.TotalCents != 2500 || sig.Currency != "USD" || sig.PaymentMethod != "pm_card_visa" ||
		sig.ShippingCountry != testAddress.Country || sig.ClientIP != "" || sig.Status != store.OrderPending {
		t.Errorf("order facts %+v", sig)
	}
	if sig.CustomerOrders != 0 || sig.CardOrders != 0 || sig.IPOrders != 0 || sig.PlacedBefore {
		t.Errorf("a first order has history: %+v", sig)
	}

	// Four more orders from the same customer, card and address within the hour, one of them
	// placed; one from another customer with the same card; one two hours old.
	f.exec(`UPDATE orders SET client_ip = '203.0.113.7', created_at = now() - interval '50 minutes' WHERE id = $1`, first.ID)
	placed := f.order(item)
	f.exec(`UPDATE orders SET status = 'placed' WHERE id = $1`, placed.ID)
	for range 3 {
		f.order(item)
	}
	other := f.newOrder(item)
	other.CustomerID = f.another
	if _, _, err := f.st.CreateOrder(ctx, other); err != nil {
		t.Fatal(err)
	}
	old := f.order(item)
	f.exec(`UPDATE orders SET created_at = now() - interval '2 hours' WHERE id = $1`, old.ID)
	f.exec(`UPDATE orders SET client_ip = '203.0.113.7' WHERE customer_id = $1`, f.customer)
	latest := f.order(item)
	f.exec(`UPDATE orders SET client_ip = '203.0.113.7' WHERE id = $1`, latest.ID)

	sig, err = f.st.FraudSignalsOf(ctx, latest.ID, time.Hour, 100)
	if err != nil {
		t.Fatal(err)
	}
	// Customer: first, placed, 3 others = 5 (not the old one, not itself); card: + other customer's = 6.
	if sig.CustomerOrders != 5 || sig.CardOrders != 6 || sig.IPOrders != 5 || !sig.PlacedBefore || sig.ClientIP != "203.0.113.7" {
		t.Errorf("signals %+v, want customer 5, card 6, address 5, placed before", sig)
	}
	// Counting stops at the limit.
	if sig, err = f.st.FraudSignalsOf(ctx, latest.ID, time.Hour, 3); err != nil || sig.CustomerOrders != 3 || sig.CardOrders != 3 || sig.IPOrders != 3 {
		t.Errorf("capped at 3: %+v %v", sig, err)
	}
	// Limit 0 counts nothing.
	if sig, err = f.st.FraudSignalsOf(ctx, latest.ID, time.Hour, 0); err != nil || sig.CustomerOrders+sig.CardOrders+sig.IPOrders != 0 {
		t.Errorf("limit 0: %+v %v", sig, err)
	}
	// The window is the one asked for: three hours takes in the old order.
	if sig, err = f.st.FraudSignalsOf(ctx, latest.ID, 3*time.Hour, 100); err != nil || sig.CustomerOrders != 6 {
		t.Errorf("3h window: %+v %v", sig, err)
	}
	// The first order sees only what came before it: nothing placed earlier.
	if sig, err = f.st.FraudSignalsOf(ctx, first.ID, time.Hour, 100); err != nil || sig.PlacedBefore || sig.CustomerOrders != 0 {
		t.Errorf("first order again: %+v %v", sig, err)
	}
	if _, err := f.st.FraudSignalsOf(ctx, "00000000-0000-0000-0000-000000000001", time.Hour, 10); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown order: %v, want not found", err)
	}
}

// Recording a review keeps the verdict, extends the held stock past the review, and adds a
// timeline event; an admin's decision is recorded once, only on an order in review.
func TestRecordAndReviewFraud(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 2500, 10)
	o := f.order(store.OrderItem{ProductID: p, Quantity: 2})
	soon := time.Now().Add(10 * time.Minute)
	if res, err := f.st.ReserveOrder(ctx, o.ID, soon); err != nil || !res.Reserved {
		t.Fatalf("reserve: %+v %v", res, err)
	}
	if _, err := f.st.ReviewFraud(ctx, o.ID, "", true, ""); !errs.Is(err, errs.Conflict) {
		t.Errorf("review of an unscreened order: %v, want conflict", err)
	}
	later := time.Now().Add(25 * time.Hour)
	err := f.st.RecordFraud(ctx, o.ID, store.FraudRecord{Screen: "rules", Score: 75, Decision: store.FraudReview, HoldUntil: later,
		Reasons: []store.FraudReason{{Rule: "large_order", Points: 40, Detail: "big"}, {Rule: "first_order", Points: 35, Detail: "new"}}})
	if err != nil {
		t.Fatal(err)
	}
	var score int
	var decision, reasons string
	var expires time.Time
	if err := f.st.Pool.QueryRow(ctx, `SELECT fraud_score, fraud_decision, fraud_reasons::text FROM orders WHERE id = $1`, o.ID).
		Scan(&score, &decision, &reasons); err != nil {
		t.Fatal(err)
	}
	if score != 75 || decision != store.FraudReview || reasons != `[{"rule": "large_order", "detail": "big", "points": 40}, {"rule": "first_order", "detail": "new", "points": 35}]` {
		t.Errorf("recorded %d %s %s", score, decision, reasons)
	}
	if err := f.st.Pool.QueryRow(ctx, `SELECT min(expires_at) FROM reservations WHERE order_id = $1`, o.ID).Scan(&expires); err != nil {
		t.Fatal(err)
	}
	if expires.Before(later.Add(-time.Second)) {
		t.Errorf("held stock expires %s, want extended to %s", expires, later)
	}
	if n := f.count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND status = 'fraud_review'`, o.ID); n != 1 {
		t.Errorf("%d fraud_review events", n)
	}
	// The sweep leaves it alone: nothing of it is expired at the old expiry.
	expired, err := f.st.ExpiredReservationOrders(ctx, soon.Add(time.Minute), 10)
	if err != nil || len(expired) != 0 {
		t.Errorf("expired after the old expiry: %+v %v", expired, err)
	}
	items, err := f.st.FraudReviews(ctx, store.FraudReviewFilter{Limit: 10})
	if err != nil || len(items) != 1 || items[0].OrderID != o.ID || items[0].FraudScore != 75 || len(items[0].FraudReasons) != 2 {
		t.Fatalf("review list %+v %v", items, err)
	}

	admin := f.customer // any user id will do for the reviewer
	res, err := f.st.ReviewFraud(ctx, o.ID, admin, true, "called them")
	if err != nil || res.Decision != store.FraudApproved {
		t.Fatalf("approve: %+v %v", res, err)
	}
	if res, err := f.st.ReviewFraud(ctx, o.ID, admin, true, "called them"); err != nil || res.Decision != store.FraudApproved {
		t.Errorf("approving again: %+v %v, want the same decision", res, err)
	}
	if _, err := f.st.ReviewFraud(ctx, o.ID, admin, false, ""); !errs.Is(err, errs.Conflict) {
		t.Errorf("rejecting an approved order: %v, want conflict", err)
	}
	var reviewer, note string
	if err := f.st.Pool.QueryRow(ctx, `SELECT fraud_decision, fraud_reviewed_by::text, fraud_review_note FROM orders
		WHERE id = $1 AND fraud_reviewed_at IS NOT NULL`, o.ID).Scan(&decision, &reviewer, &note); err != nil {
		t.Fatal(err)
	}
	if decision != store.FraudApproved || reviewer != admin || note != "called them" {
		t.Errorf("review recorded %s by %s: %q", decision, reviewer, note)
	}
	// A screen retried after the review does not undo it.
	if err := f.st.RecordFraud(ctx, o.ID, store.FraudRecord{Score: 75, Decision: store.FraudReview}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.Pool.QueryRow(ctx, `SELECT fraud_decision FROM orders WHERE id = $1`, o.ID).Scan(&decision); err != nil || decision != store.FraudApproved {
		t.Errorf("after a late screen: %s %v", decision, err)
	}
	if items, err := f.st.FraudReviews(ctx, store.FraudReviewFilter{Limit: 10}); err != nil || len(items) != 0 {
		t.Errorf("review list after the decision %+v %v", items, err)
	}

	// An allowed order gets its verdict and no timeline event.
	allowed := f.order(store.OrderItem{ProductID: p, Quantity: 1})
	if err := f.st.RecordFraud(ctx, allowed.ID, store.FraudRecord{Screen: "rules", Decision: store.FraudAllow}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND status LIKE 'fraud%'`, allowed.ID); n != 0 {
		t.Errorf("%d fraud events for an allowed order", n)
	}
	if n := f.count(`SELECT count(*) FROM orders WHERE id = $1 AND fraud_decision = 'allow' AND fraud_score = 0 AND fraud_reasons = '[]'`, allowed.ID); n != 1 {
		t.Error("allowed verdict not recorded")
	}
}
