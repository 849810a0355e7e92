package e2e

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"shopflow/payment"
	"shopflow/store"
	"shopflow/workflows"
)

// A cancel sent to a saga waiting for 3-D Secure is answered with the outcome, and the answer
// is the order's state: canceled, stock back, intent canceled, nothing refunded (nothing was
// taken). Once the saga has ended, a cancel finds no saga (ErrNoSaga), whatever the order.
func TestSagaCancelUpdateAnswersTheOutcome(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	product := e.newProduct(4, 900)
	cust := e.newCustomer()

	o := e.checkout(cust, checkoutOf(card3DS, line{ProductID: product, Quantity: 2}))
	e.awaitStep(o.ID, workflows.StepAwaitingPayment)
	out, err := e.cancelSaga(o.ID)
	want := workflows.CancelOutcome{Canceled: true, Status: store.OrderCanceled, Reason: store.ReasonCanceledByUser}
	if err != nil || out != want {
		t.Fatalf("cancel answered %+v, %v; want %+v", out, err, want)
	}
	e.wantCanceled(cust, o.ID, store.ReasonCanceledByUser, e.awaitSaga(o.ID))
	if onHand, reserved := e.stock(product); onHand != 4 || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want 4 and 0", onHand, reserved)
	}
	if ins := e.intentsOf(o.ID); len(ins) != 1 || ins[0].Status != string(payment.StatusCanceled) {
		t.Errorf("intents %+v, want one canceled", ins)
	}
	// Asked again (the caller lost the answer), the server answers the same cancel.
	if again, err := e.cancelSaga(o.ID); err != nil || again != want {
		t.Errorf("cancel asked again after the saga ended: %+v, %v; want %+v", again, err, want)
	}

	placed := e.checkout(cust, checkoutOf(cardVisa, line{ProductID: product, Quantity: 1}))
	e.wantPlaced(cust, placed.ID, e.awaitSaga(placed.ID))
	if _, err := e.cancelSaga(placed.ID); !errors.Is(err, workflows.ErrNoSaga) {
		t.Errorf("cancel of a placed order whose saga ended: %v, want ErrNoSaga", err)
	}
	if status, _, _ := e.orderRow(placed.ID); status != store.OrderPlaced {
		t.Errorf("placed order stored %s after a refused cancel", status)
	}
}

// The shopper completes 3-D Secure and cancels at the same moment. Whichever the saga sees
// first, the answer is the order's final state: canceled with the payment refunded and the
// stock back, or too late with the order placed and paid.
func TestSagaCancelRacingThePayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cust := e.newCustomer()
	for i := range 8 {
		product := e.newProduct(3, 700)
		o := e.checkout(cust, checkoutOf(card3DS, line{ProductID: product, Quantity: 1}))
		e.awaitStep(o.ID, workflows.StepAwaitingPayment)
		intentID := e.order(cust, o.ID).intentID()
		type answer struct {
			out workflows.CancelOutcome
			err error
		}
		answered := make(chan answer, 1)
		cancelSaga := func() {
			out, err := e.cancelSaga(o.ID)
			answered <- answer{out, err}
		}
		// 409: the cancel won, and the intent was canceled before the shopper completed it.
		pay := func() {
			e.mustSend(request{method: "POST", path: "/api/v1/dev/payments/" + intentID + "/complete",
				token: cust.Token, body: map[string]bool{"succeed": true}}, nil, http.StatusOK, http.StatusConflict)
		}
		if i%2 == 0 { // either one leaves first
			go cancelSaga()
			pay()
		} else {
			paid := make(chan struct{})
			go func() { defer close(paid); pay() }()
			cancelSaga()
			<-paid
		}
		ans := <-answered
		res := e.awaitSaga(o.ID)
		status, _, _ := e.orderRow(o.ID)
		switch {
		case ans.err == nil && ans.out.Canceled:
			if status != store.OrderCanceled || res.Status != store.OrderCanceled {
				t.Errorf("order %s: told canceled, but the saga ended %s and the order is %s", o.ID, res.Status, status)
			}
		case errors.Is(ans.err, workflows.ErrCancelTooLate):
			if status != store.OrderPlaced {
				t.Errorf("order %s: told too late, but the order is %s", o.ID, status)
			}
		case errors.Is(ans.err, workflows.ErrNoSaga):
			// The saga ended before the cancel reached it (its workflow task, which had taken
			// the cancel, lost a race with the payment signal); the API then answers from the
			// order's row, whichever status it holds, checked below.
		default:
			t.Fatalf("order %s: cancel answered %+v, %v", o.ID, ans.out, ans.err)
		}
		e.wantSettled(cust, o.ID, product, 3, res)
	}
}

// wantSettled checks a 3-D Secure order whose cancel raced its payment ended either placed
// and paid, or canceled holding no stock and keeping no money.
func (e *env) wantSettled(cust account, orderID string, product int64, stock int, res workflows.CheckoutResult) {
	e.t.Helper()
	status, _, _ := e.orderRow(orderID)
	if status == store.OrderPlaced {
		e.wantPlaced(cust, orderID, res)
		return
	}
	if status != store.OrderCanceled || res.Status != store.OrderCanceled {
		e.t.Errorf("order %s is %s, saga ended %s: want both placed or both canceled", orderID, status, res.Status)
	}
	if onHand, reserved := e.stock(product); onHand != stock || reserved != 0 {
		e.t.Errorf("canceled order %s: inventory on_hand %d reserved %d, want %d and 0", orderID, onHand, reserved, stock)
	}
	if n := e.count(`SELECT count(*) FROM reservations WHERE order_id = $1 AND status = 'held'`, orderID); n != 0 {
		e.t.Errorf("canceled order %s still holds %d reservations", orderID, n)
	}
	if ins := e.intentsOf(orderID); len(ins) != 1 || (ins[0].Status != string(payment.StatusCanceled) && !ins[0].Refunded) {
		e.t.Errorf("canceled order %s kept money: intents %+v", orderID, ins)
	}
}

// A saga the reservation sweep starts for an order left pending waits for payment as long as
// SHOPFLOW_PAYMENT_TIMEOUT says, which the sweep carries: here two seconds, where the saga's
// default of five minutes would outlast the test's wait.
func TestSagaRestartedBySweepUsesThePaymentTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cust := e.newCustomer()
	stranded := e.strandedOrder(cust, e.newProduct(2, 800), 1, card3DS)
	e.runSweepWith(workflows.SweepInput{PaymentTimeout: 2 * time.Second})
	e.wantCanceled(cust, stranded, store.ReasonPaymentTimeout, e.awaitSaga(stranded))
}

// cancelSaga cancels the order's saga as the API does, and waits for the outcome.
func (e *env) cancelSaga(orderID string) (workflows.CancelOutcome, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sagaDeadline)
	defer cancel()
	return e.checkouts.CancelOrder(ctx, orderID, store.ReasonCanceledByUser)
}
