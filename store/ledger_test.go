package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/audit"
	"shopflow/errs"
	"shopflow/store"
)

// movement is what the ledger tests compare of a stock movement.
type movement struct {
	Kind                  string
	OnHand, Reserved      int // deltas
	OnHandAfter, ResAfter int
	Order, Return, Actor  string
}

// movements lists a product's movements, oldest first.
func (f *orderFixture) movements(product int64) []movement {
	f.t.Helper()
	rows, err := f.st.Pool.Query(context.Background(), `
		SELECT kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after,
		       coalesce(order_id::text, ''), coalesce(return_id::text, ''), coalesce(actor_id::text, '')
		FROM stock_movements WHERE product_id = $1 ORDER BY id`, product)
	if err != nil {
		f.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (movement, error) {
		var m movement
		return m, r.Scan(&m.Kind, &m.OnHand, &m.Reserved, &m.OnHandAfter, &m.ResAfter, &m.Order, &m.Return, &m.Actor)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// wantLedgerBalanced fails unless every product's stock equals the sums of its movements.
func (f *orderFixture) wantLedgerBalanced() {
	f.t.Helper()
	if n := f.count(`
		SELECT count(*) FROM inventory i
		LEFT JOIN (SELECT product_id, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved
		           FROM stock_movements GROUP BY product_id) m USING (product_id)
		WHERE i.on_hand <> coalesce(m.on_hand, 0) OR i.reserved <> coalesce(m.reserved, 0)`); n != 0 {
		f.t.Errorf("%d products whose stock is not the sum of their movements", n)
	}
	if n := f.count(`SELECT count(*) FROM stock_movements m WHERE NOT EXISTS (SELECT 1 FROM inventory i WHERE i.product_id = m.product_id)`); n != 0 {
		f.t.Errorf("%d movements of products without stock", n)
	}
}

// TestStockLedgerRecordsEveryKind walks one product through every kind of movement, each with
// its cause: the order, the return, the acting account.
func TestStockLedgerRecordsEveryKind(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 10)
	actor := audit.Actor{AccountID: f.customer, Role: store.RoleSeller} // any account id will do
	if _, err := f.st.SetInventory(audit.WithActor(ctx, actor), p, 15, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetInventory(ctx, p, 12, nil); err != nil {
		t.Fatal(err)
	}
	sold := f.placed(store.OrderItem{ProductID: p, Quantity: 2})
	released := f.order(store.OrderItem{ProductID: p, Quantity: 1})
	if res, err := f.st.ReserveOrder(ctx, released.ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		t.Fatalf("reserve: %+v %v", res, err)
	}
	if res, err := f.st.ReleaseOrder(ctx, released.ID, store.ReasonPaymentTimeout); err != nil || !res.Canceled {
		t.Fatalf("release: %+v %v", res, err)
	}
	// Returns and cancellations restock with a plain UPDATE under their cause (their own stores).
	const returnID = "6f1c2b8e-0000-4000-8000-000000000001"
	restock := func(c store.StockCause, n int) {
		err := f.st.InTx(store.WithStockCause(ctx, c), func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE inventory SET on_hand = on_hand + $2 WHERE product_id = $1`, p, n)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	restock(store.StockCause{Kind: store.MovementReturn, OrderID: sold.ID, ReturnID: returnID}, 1)
	restock(store.StockCause{Kind: store.MovementCancel, OrderID: sold.ID}, 1)

	want := []movement{
		{store.MovementInitial, 10, 0, 10, 0, "", "", ""},
		{store.MovementRestock, 5, 0, 15, 0, "", "", f.customer},
		{store.MovementAdjustment, -3, 0, 12, 0, "", "", ""},
		{store.MovementReservation, 0, 2, 12, 2, sold.ID, "", ""},
		{store.MovementSale, -2, -2, 10, 0, sold.ID, "", ""},
		{store.MovementReservation, 0, 1, 10, 1, released.ID, "", ""},
		{store.MovementRelease, 0, -1, 10, 0, released.ID, "", ""},
		{store.MovementReturn, 1, 0, 11, 0, sold.ID, returnID, ""},
		{store.MovementCancel, 1, 0, 12, 0, sold.ID, "", ""},
	}
	if got := f.movements(p); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("movements:\n got %v\nwant %v", got, want)
	}
	f.wantLedgerBalanced()
}

// TestStockLedgerDerivesKindWithoutCause: a change made with no cause (a script, an old code
// path) is still recorded, named by the shape of its deltas.
func TestStockLedgerDerivesKindWithoutCause(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 2)
	p := f.product(f.sellerA, "active", "USD", 100, 10)
	steps := []struct {
		sql, want string
	}{
		{`UPDATE inventory SET reserved = reserved + 3 WHERE product_id = $1`, store.MovementReservation},
		{`UPDATE inventory SET reserved = reserved - 1 WHERE product_id = $1`, store.MovementRelease},
		{`UPDATE inventory SET on_hand = on_hand - 2, reserved = reserved - 2 WHERE product_id = $1`, store.MovementSale},
		{`UPDATE inventory SET on_hand = on_hand + 4 WHERE product_id = $1`, store.MovementRestock},
		{`UPDATE inventory SET on_hand = on_hand - 1 WHERE product_id = $1`, store.MovementAdjustment},
		{`UPDATE inventory SET low_stock_threshold = 2, low_stock_alerted = true WHERE product_id = $1`, ""}, // no stock moved
		{`UPDATE inventory SET on_hand = on_hand WHERE product_id = $1`, ""},
	}
	for _, s := range steps {
		before := len(f.movements(p))
		f.exec(s.sql, p)
		got := f.movements(p)
		switch {
		case s.want == "" && len(got) != before:
			t.Errorf("%s: wrote movement %v, want none", s.sql, got[len(got)-1])
		case s.want != "" && (len(got) != before+1 || got[len(got)-1].Kind != s.want):
			t.Errorf("%s: movements %v, want one more of kind %s", s.sql, got[before:], s.want)
		}
	}
	f.wantLedgerBalanced()
}

// TestStockLedgerUnderConcurrentCheckouts: many orders race to reserve, then are placed or
// released at once; every change is one movement, and the sums still equal the stock.
func TestStockLedgerUnderConcurrentCheckouts(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 20)
	ctx := context.Background()
	scarce := f.product(f.sellerA, "active", "USD", 100, 15)
	plenty := f.product(f.sellerB, "active", "USD", 100, 1000)
	orders := make([]store.Order, 40)
	for i := range orders {
		no := f.newOrder(store.OrderItem{ProductID: plenty, Quantity: 2}, store.OrderItem{ProductID: scarce, Quantity: 1})
		no.IdempotencyKey = fmt.Sprintf("ledger-%d", i)
		o, _, err := f.st.CreateOrder(ctx, no)
		if err != nil {
			t.Fatal(err)
		}
		orders[i] = o
	}
	var wg sync.WaitGroup
	for i, o := range orders {
		wg.Go(func() {
			res, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour))
			switch {
			case err != nil:
				t.Errorf("reserve %s: %v", o.ID, err)
			case !res.Reserved:
				if _, err := f.st.ReleaseOrder(ctx, o.ID, store.ReasonOutOfStock); err != nil {
					t.Errorf("release %s: %v", o.ID, err)
				}
			case i%2 == 0:
				if r, err := f.st.ConfirmOrder(ctx, o.ID); err != nil || !r.Placed {
					t.Errorf("confirm %s: %+v %v", o.ID, r, err)
				}
			default:
				if _, err := f.st.ReleaseOrder(ctx, o.ID, store.ReasonPaymentTimeout); err != nil {
					t.Errorf("release %s: %v", o.ID, err)
				}
			}
		})
	}
	wg.Wait()
	f.wantLedgerBalanced()
	// Released stock is taken again by later racers, so how many reservations there were is
	// whatever the race made: the ledger must agree with the reservations table, one to one.
	for _, kind := range []struct{ movement, reservations string }{
		{store.MovementReservation, `SELECT count(*) FROM reservations`},
		{store.MovementSale, `SELECT count(*) FROM reservations WHERE status = 'committed'`},
		{store.MovementRelease, `SELECT count(*) FROM reservations WHERE status = 'released'`},
	} {
		want := f.count(kind.reservations)
		if n := f.count(`SELECT count(*) FROM stock_movements m WHERE kind = $1 AND EXISTS
			(SELECT 1 FROM reservations r WHERE r.order_id = m.order_id AND r.product_id = m.product_id)`, kind.movement); n != want {
			t.Errorf("%d %s movements of reserved lines, want %d", n, kind.movement, want)
		}
	}
	if n := f.count(`SELECT count(*) FROM reservations WHERE status = 'committed'`); n == 0 {
		t.Error("no order was placed: the race proved little")
	}
	if n := f.count(`SELECT count(*) FROM stock_movements WHERE kind <> 'initial' AND order_id IS NULL`); n != 0 {
		t.Errorf("%d checkout movements without their order", n)
	}
}

// TestSetInventoryBelowReservedWritesNoMovement: a refused count changes nothing, the ledger
// included; a count to the same level moves nothing either.
func TestSetInventoryBelowReservedWritesNoMovement(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 2)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 10)
	f.exec(`UPDATE inventory SET reserved = 6 WHERE product_id = $1`, p)
	before := f.movements(p)
	_, err := f.st.SetInventory(ctx, p, 5, nil)
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.Conflict || e.Details["reserved"] != 6 {
		t.Fatalf("set below reserved: %v, want a conflict with reserved 6", err)
	}
	threshold := 1
	if _, err := f.st.SetInventory(ctx, p, 10, &threshold); err != nil {
		t.Fatal(err)
	}
	if got := f.movements(p); len(got) != len(before) {
		t.Errorf("movements %v after a refused and an unchanged count, want %v", got, before)
	}
	f.wantLedgerBalanced()
}

// TestDeletedProductTakesItsMovements: deleting a product (tests, demo resets; the shop
// archives) removes its history with its stock, so no movement is left without a product.
func TestDeletedProductTakesItsMovements(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 2)
	p := f.product(f.sellerA, "active", "USD", 100, 10)
	kept := f.product(f.sellerA, "active", "USD", 100, 3)
	f.exec(`UPDATE inventory SET on_hand = 4 WHERE product_id = $1`, p)
	f.exec(`DELETE FROM products WHERE id = $1`, p)
	if n := f.count(`SELECT count(*) FROM stock_movements WHERE product_id = $1`, p); n != 0 {
		t.Errorf("%d movements of a deleted product", n)
	}
	if n := len(f.movements(kept)); n != 1 {
		t.Errorf("%d movements of the other product, want its initial one", n)
	}
	f.wantLedgerBalanced()
}
