package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"shopflow/config"
	"shopflow/store"
	"shopflow/workflows"
)

// A coupon with 10 uses and 300 checkouts carrying it, through the API and the saga. A use is
// claimed when the saga reserves and given back when it compensates:
//  1. four shoppers needing 3-D Secure take four uses and hold them while they wait;
//  2. 266 shoppers race for the other six, every tenth with a card the bank declines: a
//     declined winner gives its use back to whoever still races for it;
//  3. the four waiting shoppers fail 3-D Secure, and their uses come back;
//  4. 30 later shoppers race for what is left, which is at least those four uses.
//
// Which orders win varies from run to run; the count does not. Exactly 10 orders are placed,
// each with the discount; the coupon counts 10 uses, all committed; every declined order gave
// its use back; every order that lost the race is canceled promotion_unavailable, holding no
// stock and never charged; and the stock sold is exactly the 10 units placed.
func TestCouponUsageLimitExactUnderConcurrentCheckouts(t *testing.T) {
	t.Parallel()
	// The orders all come from one address and a few customers and cards: keep the velocity
	// rule from sending them to review, whatever the shared settings say.
	e := newEnv(t, withConfig(func(c *config.Config) { c.FraudVelocityLimit = 1_000_000 }))
	const limit, holders, stampede, later = 10, 4, 266, 30 // 300 checkouts
	const units, price, discount = 1000, 1000, 100
	began := time.Now()
	product := e.newProduct(units, price)
	promo := e.seedCoupon("LAST10", limit)
	customers := e.newCustomers(30)
	buy := line{ProductID: product, Quantity: 1}
	t.Logf("setup: %s", time.Since(began).Round(time.Millisecond))

	// 1. Four uses held by sagas waiting for 3-D Secure.
	phase := time.Now()
	waiting := e.couponWave(customers[:holders], holders, func(int) string { return card3DS }, buy, "last10")
	if len(waiting.orders) != holders {
		t.Fatalf("%d of the %d 3-D Secure checkouts accepted: %v", len(waiting.orders), holders, waiting.refused)
	}
	for id := range waiting.orders {
		e.awaitStep(id, workflows.StepAwaitingPayment)
	}
	e.wantCouponUses(promo, holders)
	t.Logf("%d uses held by 3-D Secure orders: %s", holders, time.Since(phase).Round(time.Millisecond))

	// 2. The stampede for the other six uses.
	phase = time.Now()
	declines := func(i int) string {
		if i%10 == 0 {
			return cardDeclined
		}
		return cardVisa
	}
	rush := e.couponWave(customers, stampede, declines, buy, "LAST10")
	rushResults := e.awaitSagas(rush.orders)
	rushPlaced := 0
	for id, res := range rushResults {
		card := rush.cards[id]
		switch {
		case res.Status == store.OrderPlaced && card == cardVisa:
			rushPlaced++
		case res.Status == store.OrderCanceled && res.CancelReason == store.ReasonPromotionUnavailable:
		case res.Status == store.OrderCanceled && res.CancelReason == store.ReasonPaymentDeclined && card == cardDeclined:
		default:
			t.Errorf("order %s paid with %s ended %s (%s)", id, card, res.Status, res.CancelReason)
		}
	}
	if rushPlaced > limit-holders {
		t.Errorf("%d stampede orders placed while %d uses were held, want at most %d", rushPlaced, holders, limit-holders)
	}
	e.wantCouponUses(promo, holders+rushPlaced)
	t.Logf("stampede: %d accepted, %d refused at checkout %v, %d placed: %s",
		len(rush.orders), rush.refusals(), rush.refused, rushPlaced, time.Since(phase).Round(time.Millisecond))

	// 3. The waiting shoppers fail 3-D Secure: their uses come back.
	phase = time.Now()
	for id, cust := range waiting.orders {
		e.completePayment(cust, e.order(cust, id).intentID(), false)
	}
	for id, res := range e.awaitSagas(waiting.orders) {
		if res.Status != store.OrderCanceled || res.CancelReason != store.ReasonPaymentDeclined {
			t.Errorf("3-D Secure order %s failed by the shopper ended %s (%s), want canceled (payment_declined)", id, res.Status, res.CancelReason)
		}
	}
	e.wantCouponUses(promo, rushPlaced)
	t.Logf("3-D Secure declined: %s", time.Since(phase).Round(time.Millisecond))

	// 4. Later shoppers take every use given back.
	phase = time.Now()
	late := e.couponWave(customers, later, func(int) string { return cardVisa }, buy, "LAST10")
	latePlaced := 0
	for id, res := range e.awaitSagas(late.orders) {
		switch {
		case res.Status == store.OrderPlaced:
			latePlaced++
		case res.Status == store.OrderCanceled && res.CancelReason == store.ReasonPromotionUnavailable:
		default:
			t.Errorf("later order %s ended %s (%s)", id, res.Status, res.CancelReason)
		}
	}
	if latePlaced != limit-rushPlaced {
		t.Errorf("%d later orders placed, want the %d uses left", latePlaced, limit-rushPlaced)
	}
	t.Logf("later: %d accepted, %d refused at checkout %v, %d placed: %s",
		len(late.orders), late.refusals(), late.refused, latePlaced, time.Since(phase).Round(time.Millisecond))

	// Exact in the end, whoever won.
	accepted := len(waiting.orders) + len(rush.orders) + len(late.orders)
	if refused := rush.refusals() + late.refusals(); accepted+refused != holders+stampede+later {
		t.Errorf("%d checkouts accepted and %d refused, want %d answered", accepted, refused, holders+stampede+later)
	}
	if n := e.count(`SELECT count(*) FROM orders`); n != accepted {
		t.Errorf("%d orders stored, want the %d accepted", n, accepted)
	}
	if n := e.count(`SELECT count(*) FROM orders WHERE promotion_id IS DISTINCT FROM $1 OR discount_cents <> $2`, promo, discount); n != 0 {
		t.Errorf("%d orders were quoted without the coupon's %d off", n, discount)
	}
	if n := e.count(`SELECT count(*) FROM orders WHERE status = 'placed' AND discount_cents > 0`); n != limit {
		t.Errorf("%d orders placed with the discount, want %d", n, limit)
	}
	if n := e.count(`SELECT count(*) FROM orders WHERE status <> 'canceled'`); n != limit {
		t.Errorf("%d orders not canceled, want the %d placed", n, limit)
	}
	e.wantCouponUses(promo, limit)
	if n := e.count(`SELECT count(*) FROM promotion_redemptions WHERE status = 'committed'`); n != limit {
		t.Errorf("%d committed redemptions, want %d", n, limit)
	}
	outcomes := e.couponOutcomes()
	wantShapes := map[string]bool{
		"placed//committed/committed/succeeded":              true,
		"canceled/payment_declined/released/released/failed": true,
		"canceled/promotion_unavailable/none/none/none":      true,
	}
	total := 0
	for shape, n := range outcomes {
		total += n
		if !wantShapes[shape] {
			t.Errorf("%d orders ended status/reason/redemption/reservations/intents %s", n, shape)
		}
	}
	if total != accepted || outcomes["placed//committed/committed/succeeded"] != limit ||
		outcomes["canceled/payment_declined/released/released/failed"] < holders {
		t.Errorf("outcomes %v of %d orders, want %d placed and at least %d declined", outcomes, accepted, limit, holders)
	}
	if onHand, reserved := e.stock(product); onHand != units-limit || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want %d and 0", onHand, reserved, units-limit)
	}
	if n := e.count(`SELECT count(*) FROM reservations WHERE status = 'held'`); n != 0 {
		t.Errorf("%d reservations still held", n)
	}
	// Spent for good: checkout now refuses the coupon before writing an order.
	if after := e.couponWave(customers[:1], 1, func(int) string { return cardVisa }, buy, "LAST10"); after.refused["used_up"] != 1 {
		t.Errorf("a checkout after the last use: %d accepted, refusals %v; want one 409 used_up", len(after.orders), after.refused)
	}
	t.Logf("outcomes %v; %d checkouts in %s", outcomes, holders+stampede+later, time.Since(began).Round(time.Millisecond))
}

// couponCheckoutRequest is a checkout with a coupon code.
type couponCheckoutRequest struct {
	checkoutRequest
	Coupon string `json:"coupon"`
}

// couponWave is what the API answered to a wave of checkouts with a coupon.
type couponWave struct {
	orders  map[string]account // accepted orders and who placed them
	cards   map[string]string  // the payment method of each accepted order
	refused map[string]int     // checkouts answered 409, by details.reason
}

// refusals is how many checkouts were answered 409, whatever the reason.
func (w couponWave) refusals() int {
	n := 0
	for _, c := range w.refused {
		n += c
	}
	return n
}

// couponWave sends n checkouts of buy with coupon at once, the i-th as customers[i%len] paying
// with card(i). Each is accepted (202) or refused because the coupon was used up (409
// used_up); any other answer fails the test.
func (e *env) couponWave(customers []account, n int, card func(i int) string, buy line, coupon string) couponWave {
	e.t.Helper()
	w := couponWave{orders: map[string]account{}, cards: map[string]string{}, refused: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var failures []error
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			cust, pm := customers[i%len(customers)], card(i)
			body := couponCheckoutRequest{checkoutOf(pm, buy), coupon}
			code, res, raw, err := e.postCheckout(cust, "coupon-"+randHex(8), body)
			var refusal struct {
				Error struct {
					Details struct {
						Reason string `json:"reason"`
					} `json:"details"`
				} `json:"error"`
			}
			if err == nil && code == http.StatusConflict {
				err = json.Unmarshal(raw, &refusal)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				failures = append(failures, err)
			case code == http.StatusAccepted:
				w.orders[res.Order.ID], w.cards[res.Order.ID] = cust, pm
			case code == http.StatusConflict && refusal.Error.Details.Reason == "used_up":
				w.refused[refusal.Error.Details.Reason]++
			default:
				failures = append(failures, fmt.Errorf("checkout %d with coupon %s: status %d, want 202 or 409 used_up: %s", i, coupon, code, raw))
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range failures {
		e.t.Error(err)
	}
	if len(failures) > 0 {
		e.t.FailNow()
	}
	return w
}

// awaitSagas waits for every order's saga at once and returns how each ended.
func (e *env) awaitSagas(orders map[string]account) map[string]workflows.CheckoutResult {
	e.t.Helper()
	out := make(map[string]workflows.CheckoutResult, len(orders))
	var mu sync.Mutex
	var wg sync.WaitGroup
	var failures []error
	for id := range orders {
		wg.Go(func() {
			res, err := e.sagaResult(id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, err)
			}
			out[id] = res
		})
	}
	wg.Wait()
	for _, err := range failures {
		e.t.Error(err)
	}
	if len(failures) > 0 {
		e.t.FailNow()
	}
	return out
}

// seedCoupon adds a running coupon taking 10% off the order, usable limit times in all.
func (e *env) seedCoupon(code string, limit int) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.QueryRow(context.Background(), `
		INSERT INTO promotions (name, code, kind, percent_bp, usage_limit, starts_at)
		VALUES ($1, $1, 'percent', 1000, $2, now() - interval '1 hour') RETURNING id`, code, limit).Scan(&id); err != nil {
		e.t.Fatalf("seed coupon %s: %v", code, err)
	}
	return id
}

// wantCouponUses checks the promotion's use count and that it is the number of its orders
// holding or having spent a use.
func (e *env) wantCouponUses(promo int64, want int) {
	e.t.Helper()
	var uses, claimed int
	if err := e.db.QueryRow(context.Background(), `
		SELECT p.uses, (SELECT count(*) FROM promotion_redemptions r WHERE r.promotion_id = p.id AND r.status <> 'released')
		FROM promotions p WHERE p.id = $1`, promo).Scan(&uses, &claimed); err != nil {
		e.t.Fatalf("uses of promotion %d: %v", promo, err)
	}
	if uses != want || claimed != want {
		e.t.Errorf("promotion %d: %d uses and %d unreleased redemptions, want %d", promo, uses, claimed, want)
	}
}

// couponOutcomes counts orders by how they ended: status/cancel reason/redemption
// status/reservation statuses/payment intent statuses, "none" where there is none.
func (e *env) couponOutcomes() map[string]int {
	e.t.Helper()
	rows, err := e.db.Query(context.Background(), `
		SELECT concat_ws('/', o.status, coalesce(o.cancel_reason, ''), coalesce(r.status, 'none'),
		         coalesce((SELECT string_agg(v.status, ',' ORDER BY v.status) FROM reservations v WHERE v.order_id = o.id), 'none'),
		         coalesce((SELECT string_agg(i.status, ',' ORDER BY i.status) FROM sandbox_intents i
		                   WHERE i.metadata->>'order_id' = o.id::text), 'none')) AS shape,
		       count(*)
		FROM orders o LEFT JOIN promotion_redemptions r ON r.order_id = o.id
		GROUP BY shape`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var shape string
		var n int
		if err := rows.Scan(&shape, &n); err != nil {
			e.t.Fatal(err)
		}
		out[shape] = n
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}
