package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"shopflow/errs"
	"shopflow/store"
)

// paid places an order of items and records its payment as captured, for capturedCents
// (-1: the order's total).
func (f *orderFixture) paid(capturedCents int64, items ...store.OrderItem) store.Order {
	f.t.Helper()
	o := f.placed(items...)
	if capturedCents < 0 {
		capturedCents = o.TotalCents
	}
	if err := f.st.RecordPayment(context.Background(), o.ID, store.PaymentRecord{Provider: "sandbox", IntentID: "pi_" + o.ID,
		Status: "succeeded", AmountCents: capturedCents, Currency: o.Currency}); err != nil {
		f.t.Fatal(err)
	}
	return o
}

func refundOf(orderID, key string, lines ...store.RefundLine) store.NewRefund {
	return store.NewRefund{OrderID: orderID, Kind: store.RefundForCancel, Key: key, Lines: lines}
}

// TestRefundAmountsShareTheLine: each unit's refund is its share of what the line paid (price
// less its discount share plus its tax share), and the units' refunds add up to exactly that.
func TestRefundAmountsShareTheLine(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 333, 10)
	o := f.paid(5000, store.OrderItem{ProductID: p, Quantity: 3})
	// 999 of goods, 100 off, 170 of tax on top: the line paid 1069.
	f.exec(`UPDATE order_items SET discount_cents = 100, tax_cents = 170 WHERE order_id = $1`, o.ID)
	var got []int64
	for i := range 3 {
		r, err := f.st.CreateRefund(ctx, refundOf(o.ID, fmt.Sprint("k", i), store.RefundLine{LineNo: 1, Quantity: 1}))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.AmountCents)
	}
	want := []int64{356, 357, 356}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("unit refunds %v, want %v (summing to the 1069 paid)", got, want)
	}
	_, err := f.st.CreateRefund(ctx, refundOf(o.ID, "k-more", store.RefundLine{LineNo: 1, Quantity: 1}))
	if errs.CodeOf(err) != errs.Conflict {
		t.Errorf("a fourth unit of a three-unit line: %v, want a conflict", err)
	}
	if n := f.count(`SELECT refunded_cents FROM payments WHERE order_id = $1`, o.ID); n != 1069 {
		t.Errorf("payment refunded_cents %d, want 1069", n)
	}
	for _, bad := range []store.NewRefund{
		refundOf(o.ID, "x", store.RefundLine{LineNo: 9, Quantity: 1}),
		refundOf(o.ID, "y", store.RefundLine{LineNo: 1, Quantity: 0}),
		{OrderID: o.ID, Kind: "gift", Key: "z", Lines: []store.RefundLine{{LineNo: 1, Quantity: 1}}},
	} {
		if _, err := f.st.CreateRefund(ctx, bad); err == nil {
			t.Errorf("%+v: accepted", bad)
		}
	}
}

// TestConcurrentRefundsNeverExceedTheCapture: 20 concurrent refunds of one unit each, under
// distinct keys, of a 20-unit line whose payment captured only 5 units' worth: exactly 5
// succeed, the rest are conflicts, and the database holds exactly the 5.
func TestConcurrentRefundsNeverExceedTheCapture(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 24)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 30)
	o := f.paid(550, store.OrderItem{ProductID: p, Quantity: 20})
	var wg sync.WaitGroup
	codes := make([]errs.Code, 20)
	for i := range 20 {
		wg.Go(func() {
			_, err := f.st.CreateRefund(ctx, refundOf(o.ID, fmt.Sprint("race-", i), store.RefundLine{LineNo: 1, Quantity: 1}))
			if err != nil && errs.CodeOf(err) != errs.Conflict {
				t.Errorf("refund %d: %v", i, err)
			}
			codes[i] = errs.CodeOf(err)
		})
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		if c == "" {
			ok++
		}
	}
	if ok != 5 {
		t.Errorf("%d refunds succeeded, want 5", ok)
	}
	if n := f.count(`SELECT refunded_cents FROM payments WHERE order_id = $1`, o.ID); n != 500 {
		t.Errorf("refunded_cents %d, want 500", n)
	}
	if n := f.count(`SELECT refunded_quantity FROM order_items WHERE order_id = $1`, o.ID); n != 5 {
		t.Errorf("refunded_quantity %d, want 5", n)
	}
}

// TestConcurrentRefundsOfOneLineRefundItOnce: 20 concurrent refunds of a one-unit line under
// distinct keys: one refund, the rest conflicts.
func TestConcurrentRefundsOfOneLineRefundItOnce(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 24)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 700, 3)
	o := f.paid(-1, store.OrderItem{ProductID: p, Quantity: 1})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, err := f.st.CreateRefund(ctx, refundOf(o.ID, fmt.Sprint("once-", i), store.RefundLine{LineNo: 1, Quantity: 1}))
			if err != nil && errs.CodeOf(err) != errs.Conflict {
				t.Errorf("refund %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if n := f.count(`SELECT count(*) FROM refunds WHERE order_id = $1`, o.ID); n != 1 {
		t.Errorf("%d refunds, want 1", n)
	}
	if n := f.count(`SELECT refunded_cents FROM payments WHERE order_id = $1`, o.ID); n != 700 {
		t.Errorf("refunded_cents %d, want 700", n)
	}
}

// TestRefundKeyIsIdempotent: the same key, however often and concurrently, is one refund.
func TestRefundKeyIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 12)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 250, 10)
	o := f.paid(-1, store.OrderItem{ProductID: p, Quantity: 4})
	ids := make([]string, 10)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			r, err := f.st.CreateRefund(ctx, refundOf(o.ID, "cancel:same", store.RefundLine{LineNo: 1, Quantity: 2}))
			if err != nil {
				t.Errorf("refund %d: %v", i, err)
			}
			ids[i] = r.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("refund ids %v, want one", ids)
		}
	}
	if n := f.count(`SELECT refunded_quantity FROM order_items WHERE order_id = $1`, o.ID); n != 2 {
		t.Errorf("refunded_quantity %d, want 2", n)
	}
	other := f.paid(-1, store.OrderItem{ProductID: p, Quantity: 1})
	if _, err := f.st.CreateRefund(ctx, refundOf(other.ID, "cancel:same", store.RefundLine{LineNo: 1, Quantity: 1})); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("a key reused for another order: %v, want a conflict", err)
	}
}

// TestRefundFailsThenSucceeds: a refused refund stays visible, failed, holding its units and
// money; a retry attempt makes it pending again and it succeeds; the order follows.
func TestRefundFailsThenSucceeds(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 400, 10)
	o := f.paid(-1, store.OrderItem{ProductID: p, Quantity: 2})
	r, err := f.st.CreateRefund(ctx, refundOf(o.ID, "k1", store.RefundLine{LineNo: 1, Quantity: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if r, err = f.st.BeginRefundAttempt(ctx, r.ID); err != nil || r.Attempts != 1 {
		t.Fatalf("first attempt: %+v %v", r, err)
	}
	if again, _ := f.st.BeginRefundAttempt(ctx, r.ID); again.Attempts != 1 {
		t.Errorf("a pending refund's attempt counted twice: %d", again.Attempts)
	}
	if r, err = f.st.FailRefund(ctx, r.ID, "refund_declined"); err != nil || r.Status != store.RefundFailed {
		t.Fatalf("fail: %+v %v", r, err)
	}
	if n := f.count(`SELECT refunded_cents FROM payments WHERE order_id = $1`, o.ID); n != 400 {
		t.Errorf("a failed refund released its hold: refunded_cents %d, want 400", n)
	}
	failed, err := f.st.ListRefunds(ctx, store.RefundFilter{Status: store.RefundFailed})
	if err != nil || len(failed.Items) != 1 || failed.Items[0].ID != r.ID {
		t.Fatalf("failed refunds %+v %v", failed, err)
	}
	if r, err = f.st.BeginRefundAttempt(ctx, r.ID); err != nil || r.Attempts != 2 || r.Status != store.RefundPending {
		t.Fatalf("retry: %+v %v", r, err)
	}
	if r, err = f.st.CompleteRefund(ctx, r.ID, "re_1"); err != nil || r.Status != store.RefundSucceeded {
		t.Fatalf("complete: %+v %v", r, err)
	}
	if _, err := f.st.CompleteRefund(ctx, r.ID, "re_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.FailRefund(ctx, r.ID, "late"); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("failing a succeeded refund: %v, want a conflict", err)
	}
	wantStatus := func(want string) {
		t.Helper()
		if got, _ := f.status(o.ID); got != want {
			t.Errorf("order %s, want %s", got, want)
		}
	}
	wantStatus(store.OrderPartiallyRefunded)
	if n := f.count(`SELECT coalesce(sum(refund_cents), 0) FROM refunds_hourly`); n != 400 {
		t.Errorf("refunds_hourly %d, want 400 (counted once)", n)
	}
	if n := f.count(`SELECT coalesce(sum(refund_cents), 0) FROM seller_sales_hourly WHERE seller_id = $1`, f.sellerA); n != 400 {
		t.Errorf("seller refund_cents %d, want 400", n)
	}
	if n := f.count(`SELECT count(*) FROM notification_outbox WHERE kind IN ('refund_succeeded', 'seller_refund_succeeded', 'refund_failed', 'seller_refund_failed')`); n != 4 {
		t.Errorf("%d refund notices, want 4 (failed and succeeded, customer and seller)", n)
	}
	r2, err := f.st.CreateRefund(ctx, refundOf(o.ID, "k2", store.RefundLine{LineNo: 1, Quantity: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CompleteRefund(ctx, r2.ID, "re_2"); err != nil {
		t.Fatal(err)
	}
	wantStatus(store.OrderRefunded)
	if n := f.count(`SELECT coalesce(sum(refund_cents), 0) FROM refunds_hourly`); n != 800 {
		t.Errorf("refunds_hourly %d, want 800: the order's refunded event must not count it again", n)
	}
	list, err := f.st.OrderRefunds(ctx, o.ID)
	if err != nil || len(list) != 2 || list[0].Lines[0].Quantity != 1 {
		t.Errorf("order refunds %+v %v", list, err)
	}
}

// TestRefundNeedsACapture: an order not placed, or placed without a captured payment, has
// nothing to refund.
func TestRefundNeedsACapture(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 400, 10)
	pending, _, err := f.st.CreateOrder(ctx, f.newOrder(store.OrderItem{ProductID: p, Quantity: 1}))
	if err != nil {
		t.Fatal(err)
	}
	unpaid := f.placed(store.OrderItem{ProductID: p, Quantity: 1})
	for _, id := range []string{pending.ID, unpaid.ID} {
		if _, err := f.st.CreateRefund(ctx, refundOf(id, "k-"+id, store.RefundLine{LineNo: 1, Quantity: 1})); errs.CodeOf(err) != errs.Conflict {
			t.Errorf("order %s: %v, want a conflict", id, err)
		}
	}
	if n := f.count(`SELECT count(*) FROM refunds`); n != 0 {
		t.Errorf("%d refunds recorded", n)
	}
}
