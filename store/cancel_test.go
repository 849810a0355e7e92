package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"shopflow/errs"
	"shopflow/store"
)

// TestCancellationRefusals: a seller cannot cancel another seller's line, nobody can cancel a
// shipped line or more units than are left, and a refused request changes nothing.
func TestCancellationRefusals(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	lamp := f.product(f.sellerA, "active", "USD", 100, 5)
	rug := f.product(f.sellerB, "active", "USD", 200, 5)
	o := f.paid(-1, store.OrderItem{ProductID: lamp, Quantity: 2}, store.OrderItem{ProductID: rug, Quantity: 1})
	if _, err := f.st.ShipOrder(ctx, o.ID, f.sellerB); err != nil {
		t.Fatal(err)
	}
	lines := func(ls ...store.CancelLine) store.NewCancellation {
		return store.NewCancellation{OrderID: o.ID, SellerID: f.sellerA, Lines: ls}
	}
	stranger := f.otherSeller()
	admin := func(ls ...store.CancelLine) store.NewCancellation {
		return store.NewCancellation{OrderID: o.ID, Lines: ls}
	}
	cases := []struct {
		name string
		nc   store.NewCancellation
		want errs.Code
	}{
		{"another seller's line", lines(store.CancelLine{LineNo: 2, Quantity: 1}), errs.Forbidden},
		{"a shipped line", admin(store.CancelLine{LineNo: 2, Quantity: 1}), errs.Conflict},
		{"more units than the line holds", lines(store.CancelLine{LineNo: 1, Quantity: 3}), errs.Conflict},
		{"a line the order does not have", admin(store.CancelLine{LineNo: 7, Quantity: 1}), errs.Invalid},
		{"a line named twice", lines(store.CancelLine{LineNo: 1, Quantity: 1}, store.CancelLine{LineNo: 1, Quantity: 1}), errs.Invalid},
		{"nothing named", store.NewCancellation{OrderID: o.ID}, errs.Invalid},
		{"a seller with no line in the order", store.NewCancellation{OrderID: o.ID, SellerID: stranger, All: true}, errs.NotFound},
	}
	for _, c := range cases {
		if _, err := f.st.CreateCancellation(ctx, c.nc); errs.CodeOf(err) != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	if n := f.count(`SELECT count(*) FROM cancellations`) + f.count(`SELECT coalesce(sum(canceled_quantity), 0) FROM order_items`); n != 0 {
		t.Errorf("refused cancellations changed something (%d)", n)
	}
	c, err := f.st.CreateCancellation(ctx, store.NewCancellation{OrderID: o.ID, SellerID: f.sellerA, All: true, Reason: "out of stock"})
	if err != nil || len(c.Lines) != 1 || c.Lines[0] != (store.CancelLine{LineNo: 1, Quantity: 2}) {
		t.Fatalf("seller A cancels all its lines: %+v %v", c, err)
	}
	if n := f.count(`SELECT count(*) FROM order_items WHERE order_id = $1 AND fulfilment = 'canceled'`, o.ID); n != 1 {
		t.Errorf("%d lines canceled, want 1", n)
	}
	if _, err := f.st.CreateCancellation(ctx, store.NewCancellation{OrderID: o.ID, All: true}); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("canceling all when nothing is left: %v, want a conflict", err)
	}
}

// TestConcurrentCancellationsTakeALineOnce: 20 concurrent cancellations of one line: one is
// recorded, the others are conflicts; restocking twice restocks once.
func TestConcurrentCancellationsTakeALineOnce(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 24)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 5)
	o := f.paid(-1, store.OrderItem{ProductID: p, Quantity: 2})
	var wg sync.WaitGroup
	ids := make(chan string, 20)
	for i := range 20 {
		wg.Go(func() {
			c, err := f.st.CreateCancellation(ctx, store.NewCancellation{OrderID: o.ID,
				Lines: []store.CancelLine{{LineNo: 1, Quantity: 2}}, Reason: fmt.Sprint("try ", i)})
			if err == nil {
				ids <- c.ID
			} else if errs.CodeOf(err) != errs.Conflict {
				t.Errorf("cancellation %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	close(ids)
	var got []string
	for id := range ids {
		got = append(got, id)
	}
	if len(got) != 1 {
		t.Fatalf("%d cancellations recorded, want 1", len(got))
	}
	before := f.count(`SELECT on_hand FROM inventory WHERE product_id = $1`, p)
	for range 2 {
		if err := f.st.RestockCancellation(ctx, got[0]); err != nil {
			t.Fatal(err)
		}
	}
	if after := f.count(`SELECT on_hand FROM inventory WHERE product_id = $1`, p); after != before+2 {
		t.Errorf("on_hand %d after restocking twice, want %d", after, before+2)
	}
	r, err := f.st.CreateRefund(ctx, refundOf(o.ID, "cancel:"+got[0], store.RefundLine{LineNo: 1, Quantity: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetCancellationRefund(ctx, got[0], r.ID, store.CancellationRequested); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CompleteRefund(ctx, r.ID, "re_x"); err != nil {
		t.Fatal(err)
	}
	if err := f.st.FinishCancellation(ctx, got[0]); err != nil {
		t.Fatal(err)
	}
	c, _ := f.st.CancellationByID(ctx, got[0])
	if c.Status != store.CancellationCompleted || c.RefundID != r.ID {
		t.Errorf("cancellation %+v", c)
	}
	if s, _ := f.status(o.ID); s != store.OrderRefunded {
		t.Errorf("order %s, want refunded", s)
	}
	if n := f.count(`SELECT count(*) FROM notification_outbox WHERE kind IN ('order_lines_canceled', 'seller_order_lines_canceled')`); n != 2 {
		t.Errorf("%d cancellation notices, want 2", n)
	}
}

// otherSeller creates a seller with no line in the fixture's orders.
func (f *orderFixture) otherSeller() string {
	f.t.Helper()
	u, err := f.st.CreateUser(context.Background(), store.NewUser{Email: "other-" + fmt.Sprint(f.count(`SELECT count(*) FROM users`)) + "@example.com",
		PasswordHash: "x", Role: store.RoleSeller, StoreName: "Other"})
	if err != nil {
		f.t.Fatal(err)
	}
	return *u.SellerID
}

// TestCancelingTheLastPendingLineShipsTheOrder: the other line has shipped; canceling the
// pending one leaves only shipped lines, so the order is shipped.
func TestCancelingTheLastPendingLineShipsTheOrder(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	lamp := f.product(f.sellerA, "active", "USD", 100, 5)
	rug := f.product(f.sellerB, "active", "USD", 200, 5)
	o := f.paid(-1, store.OrderItem{ProductID: lamp, Quantity: 1}, store.OrderItem{ProductID: rug, Quantity: 1})
	if _, err := f.st.ShipOrder(ctx, o.ID, f.sellerB); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateCancellation(ctx, store.NewCancellation{OrderID: o.ID, SellerID: f.sellerA, All: true}); err != nil {
		t.Fatal(err)
	}
	if s, _ := f.status(o.ID); s != store.OrderShipped {
		t.Errorf("order %s, want shipped", s)
	}
}
