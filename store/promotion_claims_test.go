package store_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"shopflow/errs"
	"shopflow/store"
)

// 300 pending orders carry a coupon with 10 uses and race to reserve: exactly 10 hold a use,
// the other 290 are refused promotion_unavailable holding nothing. Uses given back by canceled
// orders go to later orders, never one more than the limit, and confirming commits exactly 10.
func TestCouponUsageLimitExactUnderConcurrentReserves(t *testing.T) {
	t.Parallel()
	const limit, racers, qty = 10, 300, 2
	f := newOrderFixture(t, 20)
	ctx := context.Background()
	product := f.product(f.sellerA, "active", "USD", 1000, 1000)
	promo := f.promotion("LAST10", limit, 0)

	orders := f.couponOrders(racers, f.customer, "last10", product, qty)
	for _, o := range orders {
		if o.PromotionID == nil || *o.PromotionID != promo || o.DiscountCents != 200 {
			t.Fatalf("order %s: promotion %v discount %d, want promotion %d and 200 off", o.ID, o.PromotionID, o.DiscountCents, promo)
		}
	}

	won, lost := f.reserveAll(orders)
	if len(won) != limit || len(lost) != racers-limit {
		t.Fatalf("%d orders reserved and %d refused, want %d and %d", len(won), len(lost), limit, racers-limit)
	}
	f.wantUses(promo, limit)
	f.wantRedemptions(promo, map[string]int{"held": limit})
	if n := f.count(`SELECT count(*) FROM promotion_redemptions WHERE status = 'held' AND order_id = ANY($1::uuid[])`, orderIDs(won)); n != limit {
		t.Errorf("%d of the winners hold a use, want all %d", n, limit)
	}
	if n := f.count(`SELECT count(*) FROM reservations WHERE order_id = ANY($1::uuid[])`, orderIDs(lost)); n != 0 {
		t.Errorf("the refused orders have %d reservation rows, want none", n)
	}
	if onHand, reserved := f.stock(product); onHand != 1000 || reserved != limit*qty {
		t.Errorf("inventory on_hand %d reserved %d, want 1000 and %d", onHand, reserved, limit*qty)
	}

	// A reserve retried after it committed (an activity retried after a crash) takes no
	// second use.
	if res, err := f.st.ReserveOrder(ctx, won[0].ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		t.Fatalf("reserve %s again: %+v %v", won[0].ID, res, err)
	}
	f.wantUses(promo, limit)

	// The saga cancels the refused orders: they give back no use, since they took none.
	f.releaseAll(lost, store.ReasonPromotionUnavailable)
	f.wantUses(promo, limit)

	// Three winners are declined: their uses come back, once each however often released.
	declined := won[:3]
	f.releaseAll(declined, store.ReasonPaymentDeclined)
	f.releaseAll(declined[:1], store.ReasonPaymentDeclined)
	f.wantUses(promo, limit-3)
	f.wantRedemptions(promo, map[string]int{"held": limit - 3, "released": 3})
	if _, reserved := f.stock(product); reserved != (limit-3)*qty {
		t.Errorf("%d units reserved after 3 releases, want %d", reserved, (limit-3)*qty)
	}

	// Later orders race for the three freed uses: exactly three get one.
	later := f.couponOrders(30, f.another, "LAST10", product, qty)
	laterWon, laterLost := f.reserveAll(later)
	if len(laterWon) != 3 || len(laterLost) != 27 {
		t.Fatalf("later orders: %d reserved and %d refused, want 3 and 27", len(laterWon), len(laterLost))
	}
	f.wantUses(promo, limit)
	f.releaseAll(laterLost, store.ReasonPromotionUnavailable)

	// With every use held, checkout refuses the coupon before an order is written.
	_, _, err := f.st.CreateOrder(ctx, f.couponOrder(f.another, "LAST10", product, qty))
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.Conflict || e.Details["reason"] != "used_up" {
		t.Errorf("checkout with the coupon used up: %v, want a conflict with reason used_up", err)
	}

	holders := append(append([]store.Order{}, won[3:]...), laterWon...)
	var wg sync.WaitGroup
	for _, o := range holders {
		wg.Go(func() {
			if res, err := f.st.ConfirmOrder(ctx, o.ID); err != nil || !res.Placed {
				t.Errorf("confirm %s: %+v %v", o.ID, res, err)
			}
		})
	}
	wg.Wait()
	f.wantUses(promo, limit)
	f.wantRedemptions(promo, map[string]int{"committed": limit, "released": 3})
	if n := f.count(`SELECT count(*) FROM orders WHERE status = 'placed' AND promotion_id = $1 AND discount_cents > 0`, promo); n != limit {
		t.Errorf("%d orders placed with the discount, want %d", n, limit)
	}
	if onHand, reserved := f.stock(product); onHand != 1000-limit*qty || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want %d and 0", onHand, reserved, 1000-limit*qty)
	}
	if n := f.count(`SELECT count(*) FROM reservations WHERE status = 'held'`); n != 0 {
		t.Errorf("%d reservations still held", n)
	}
}

// One customer's 20 orders race for a coupon they may use once: exactly one holds it, and the
// 19 refused leave the shop-wide count as it was. Another customer is not held back, and a use
// the customer gives back may be used again.
func TestCouponPerCustomerLimitExactUnderConcurrentReserves(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 20)
	ctx := context.Background()
	product := f.product(f.sellerA, "active", "USD", 1000, 1000)
	promo := f.promotion("ONCE", 0, 1)

	mine := f.couponOrders(20, f.customer, "ONCE", product, 1)
	theirs := f.couponOrders(1, f.another, "ONCE", product, 1)
	won, lost := f.reserveAll(append(append([]store.Order{}, mine...), theirs...))
	if len(won) != 2 || len(lost) != 19 {
		t.Fatalf("%d orders reserved and %d refused, want 2 and 19", len(won), len(lost))
	}
	byCustomer := map[string]int{}
	for _, o := range won {
		byCustomer[o.CustomerID]++
	}
	if byCustomer[f.customer] != 1 || byCustomer[f.another] != 1 {
		t.Errorf("uses held per customer %v, want one each", byCustomer)
	}
	f.wantUses(promo, 2)
	if _, reserved := f.stock(product); reserved != 2 {
		t.Errorf("%d units reserved, want 2", reserved)
	}

	var first store.Order
	for _, o := range won {
		if o.CustomerID == f.customer {
			first = o
		}
	}
	f.releaseAll([]store.Order{first}, store.ReasonPaymentDeclined)
	f.wantUses(promo, 1)
	if res, err := f.st.ReserveOrder(ctx, lost[0].ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		t.Fatalf("reserve %s after the customer's use came back: %+v %v", lost[0].ID, res, err)
	}
	f.wantUses(promo, 2)
	if res, err := f.st.ReserveOrder(ctx, lost[1].ID, time.Now().Add(time.Hour)); err != nil || res.Reserved ||
		res.Reason != store.ReasonPromotionUnavailable {
		t.Fatalf("reserve %s, a second use by the customer: %+v %v, want refused promotion_unavailable", lost[1].ID, res, err)
	}
	f.wantUses(promo, 2)
}

// promotion seeds a running coupon taking 10% off the order, usable usageLimit times in all
// and perCustomer times by each customer (0: without that limit).
func (f *orderFixture) promotion(code string, usageLimit, perCustomer int) int64 {
	f.t.Helper()
	var id int64
	err := f.st.Pool.QueryRow(context.Background(), `
		INSERT INTO promotions (name, code, kind, percent_bp, usage_limit, per_customer_limit, starts_at)
		VALUES ($1, $1, 'percent', 1000, NULLIF($2::int, 0), NULLIF($3::int, 0), now() - interval '1 hour')
		RETURNING id`, code, usageLimit, perCustomer).Scan(&id)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// couponOrder is a checkout of qty units of product by customer with coupon.
func (f *orderFixture) couponOrder(customer, coupon string, product int64, qty int) store.NewOrder {
	no := f.newOrder(store.OrderItem{ProductID: product, Quantity: qty})
	no.CustomerID, no.Coupon, no.IdempotencyKey = customer, coupon, "coupon-"+rand.Text()
	return no
}

// couponOrders creates n pending orders with the coupon.
func (f *orderFixture) couponOrders(n int, customer, coupon string, product int64, qty int) []store.Order {
	f.t.Helper()
	out := make([]store.Order, n)
	for i := range out {
		o, _, err := f.st.CreateOrder(context.Background(), f.couponOrder(customer, coupon, product, qty))
		if err != nil {
			f.t.Fatalf("create order %d with coupon %s: %v", i, coupon, err)
		}
		out[i] = o
	}
	return out
}

// reserveAll reserves every order at once and splits them into those reserved and those
// refused for their promotion; any other outcome fails the test.
func (f *orderFixture) reserveAll(orders []store.Order) (won, lost []store.Order) {
	f.t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, o := range orders {
		wg.Go(func() {
			<-start
			res, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				f.t.Errorf("reserve %s: %v", o.ID, err)
			case res.Reserved:
				won = append(won, o)
			case res.Reason == store.ReasonPromotionUnavailable && res.Status == store.OrderPending && len(res.Short) == 0:
				lost = append(lost, o)
			default:
				f.t.Errorf("reserve %s: %+v, want reserved or refused promotion_unavailable", o.ID, res)
			}
		})
	}
	close(start)
	wg.Wait()
	return won, lost
}

// releaseAll cancels every order at once for reason, as the saga's compensation does.
func (f *orderFixture) releaseAll(orders []store.Order, reason string) {
	f.t.Helper()
	var wg sync.WaitGroup
	for _, o := range orders {
		wg.Go(func() {
			if res, err := f.st.ReleaseOrder(context.Background(), o.ID, reason); err != nil || !res.Canceled {
				f.t.Errorf("release %s: %+v %v", o.ID, res, err)
			}
		})
	}
	wg.Wait()
}

// wantUses checks the promotion's count of uses held or spent.
func (f *orderFixture) wantUses(promo int64, want int) {
	f.t.Helper()
	if n := f.count(`SELECT uses FROM promotions WHERE id = $1`, promo); n != want {
		f.t.Errorf("promotion %d has %d uses, want %d", promo, n, want)
	}
}

// wantRedemptions checks the promotion's redemptions by status.
func (f *orderFixture) wantRedemptions(promo int64, want map[string]int) {
	f.t.Helper()
	got := map[string]int{}
	for _, status := range []string{"held", "committed", "released"} {
		if n := f.count(`SELECT count(*) FROM promotion_redemptions WHERE promotion_id = $1 AND status = $2`, promo, status); n > 0 {
			got[status] = n
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		f.t.Errorf("redemptions of promotion %d by status %v, want %v", promo, got, want)
	}
}

func orderIDs(orders []store.Order) []string {
	out := make([]string, len(orders))
	for i, o := range orders {
		out[i] = o.ID
	}
	return out
}
