package store_test

import (
	"context"
	"slices"
	"testing"

	"shopflow/errs"
	"shopflow/store"
)

// TestShipAndDeliverOrderLines walks one two-seller order through fulfilment, step by step.
func TestShipAndDeliverOrderLines(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	lamp := f.product(f.sellerA, "active", "USD", 100, 5)
	rug := f.product(f.sellerB, "active", "USD", 200, 5)
	o := f.placed(store.OrderItem{ProductID: lamp, Quantity: 1}, store.OrderItem{ProductID: rug, Quantity: 1})
	other, err := f.st.CreateUser(ctx, store.NewUser{Email: "x@example.com", PasswordHash: "x", Role: store.RoleSeller, StoreName: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	strangerSeller := *other.SellerID

	ship, deliver := f.st.ShipOrder, f.st.DeliverOrder
	steps := []struct {
		name        string
		step        func(ctx context.Context, orderID, sellerID string) (store.Order, error)
		seller      string
		want        errs.Code
		status      string // the order's status afterwards
		fulfilments []string
	}{
		{"delivering before shipping is a conflict", deliver, "", errs.Conflict, "placed", []string{"pending", "pending"}},
		{"a seller with no line in the order does not see it", ship, strangerSeller, errs.NotFound, "placed", []string{"pending", "pending"}},
		{"seller A ships only its own line", ship, f.sellerA, "", "placed", []string{"shipped", "pending"}},
		{"seller A cannot ship twice", ship, f.sellerA, errs.Conflict, "placed", []string{"shipped", "pending"}},
		{"seller A delivers its line while B's is pending", deliver, f.sellerA, "", "placed", []string{"delivered", "pending"}},
		{"seller B cannot deliver before shipping", deliver, f.sellerB, errs.Conflict, "placed", []string{"delivered", "pending"}},
		{"seller B's shipment ships the order", ship, f.sellerB, "", "shipped", []string{"delivered", "shipped"}},
		{"an admin cannot ship a shipped order", ship, "", errs.Conflict, "shipped", []string{"delivered", "shipped"}},
		{"an admin delivers the rest: the order is delivered", deliver, "", "", "delivered", []string{"delivered", "delivered"}},
		{"delivering twice is a conflict", deliver, "", errs.Conflict, "delivered", []string{"delivered", "delivered"}},
	}
	for _, s := range steps {
		_, err := s.step(ctx, o.ID, s.seller)
		if got := errs.CodeOf(err); got != s.want {
			t.Fatalf("%s: code %q (%v), want %q", s.name, got, err, s.want)
		}
		got, err := f.st.OrderByID(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		fulfilments := []string{got.Lines[0].Fulfilment, got.Lines[1].Fulfilment}
		if got.Status != s.status || !slices.Equal(fulfilments, s.fulfilments) {
			t.Fatalf("%s: order %s lines %v, want %s %v", s.name, got.Status, fulfilments, s.status, s.fulfilments)
		}
	}
	got, _ := f.st.OrderByID(ctx, o.ID)
	var statuses []string
	for _, ev := range got.Timeline {
		statuses = append(statuses, ev.Status)
	}
	wantTail := []string{"placed", "lines_shipped", "lines_delivered", "shipped", "delivered"}
	if len(statuses) < len(wantTail) || !slices.Equal(statuses[len(statuses)-len(wantTail):], wantTail) {
		t.Errorf("timeline %v, want it to end with %v", statuses, wantTail)
	}
	if n := f.count(`SELECT count(*) FROM notification_outbox WHERE kind IN ('order_shipped', 'order_delivered')`); n != 2 {
		t.Errorf("%d shipped/delivered notifications, want 2", n)
	}
}

func TestShipOrderNotPlaced(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 5)
	pending, _, err := f.st.CreateOrder(ctx, f.newOrder(store.OrderItem{ProductID: p, Quantity: 1}))
	if err != nil {
		t.Fatal(err)
	}
	canceled, _, err := f.st.CreateOrder(ctx, f.newOrder(store.OrderItem{ProductID: p, Quantity: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ReleaseOrder(ctx, canceled.ID, store.ReasonCanceledByUser); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		id   string
		want errs.Code
	}{
		{"a pending order cannot ship", pending.ID, errs.Conflict},
		{"a canceled order cannot ship", canceled.ID, errs.Conflict},
		{"an unknown order is not found", "00000000-0000-4000-8000-000000000000", errs.NotFound},
	} {
		if _, err := f.st.ShipOrder(ctx, tc.id, ""); errs.CodeOf(err) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	if n := f.count(`SELECT count(*) FROM order_items WHERE fulfilment <> 'pending'`); n != 0 {
		t.Errorf("%d lines moved by refused shipments", n)
	}
}
