package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"shopflow/payment"
	"shopflow/store"
	"shopflow/workflows"
)

// A flash sale: 200 shoppers race for 10 units. Reserving is one conditional UPDATE per product,
// so exactly 10 sagas win, the other 190 cancel out_of_stock without charging anyone, and the
// stock ends at zero with nothing held.
func TestFlashSaleSellsExactlyTheStock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const stock, shoppers = 10, 200
	product := e.newProduct(stock, 1999)
	customers := e.newCustomers(20) // registering 200 would spend the time on bcrypt, not checkout

	ids := make([]string, shoppers)
	failures := make(chan error, shoppers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range shoppers {
		wg.Go(func() {
			<-start
			code, res, raw, err := e.postCheckout(customers[i%len(customers)], fmt.Sprintf("flash-%d", i),
				checkoutOf(cardVisa, line{ProductID: product, Quantity: 1}))
			switch {
			case err != nil:
				failures <- err
			case code != http.StatusAccepted:
				failures <- fmt.Errorf("checkout %d: status %d, want 202: %s", i, code, raw)
			default:
				ids[i] = res.Order.ID
			}
		})
	}
	close(start)
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	results := map[string]int{}
	for _, id := range ids {
		res := e.awaitSaga(id)
		results[res.Status+"/"+res.CancelReason]++
	}
	want := map[string]int{"placed/": stock, "canceled/out_of_stock": shoppers - stock}
	if fmt.Sprint(results) != fmt.Sprint(want) {
		t.Errorf("saga outcomes %v, want %v", results, want)
	}

	if n := e.count(`SELECT count(DISTINCT id) FROM orders`); n != shoppers {
		t.Errorf("%d orders stored, want %d", n, shoppers)
	}
	if n := e.count(`SELECT count(*) FROM orders WHERE status = 'placed'`); n != stock {
		t.Errorf("%d orders placed in the database, want %d", n, stock)
	}
	if n := e.count(`SELECT count(*) FROM orders WHERE status = 'canceled' AND cancel_reason = 'out_of_stock'`); n != shoppers-stock {
		t.Errorf("%d orders canceled out_of_stock in the database, want %d", n, shoppers-stock)
	}
	if onHand, reserved := e.stock(product); onHand != 0 || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want 0 and 0", onHand, reserved)
	}
	// One sales fact per unit sold: the CHECK (reserved <= on_hand) never let an 11th through.
	if n := e.count(`SELECT coalesce(sum(quantity), 0) FROM sales_facts WHERE product_id = $1`, product); n != stock {
		t.Errorf("sales facts record %d units sold, want %d", n, stock)
	}
	if n := e.count(`SELECT count(*) FROM sales_facts`); n != stock {
		t.Errorf("%d sales facts, want %d", n, stock)
	}
	// Only winners were charged: shoppers who found no stock never reached the payment step.
	if n := e.count(`SELECT count(*) FROM sandbox_intents WHERE status = 'succeeded' AND NOT refunded`); n != stock {
		t.Errorf("%d succeeded payment intents, want %d", n, stock)
	}
	if n := e.count(`SELECT count(*) FROM sandbox_intents`); n != stock {
		t.Errorf("%d payment intents created, want %d (out-of-stock orders must not be charged)", n, stock)
	}
	if n := e.count(`SELECT count(*) FROM reservations WHERE status = 'held'`); n != 0 {
		t.Errorf("%d reservations still held", n)
	}
	// Stock ledger: the race's every reservation, sale and release is a movement that adds up.
	e.wantStockLedgerBalanced()
}

// A declined card cancels the order payment_declined and puts the stock back.
func TestDeclinedCardCancelsAndReleasesStock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	product := e.newProduct(5, 2500)
	cust := e.newCustomer()

	o := e.checkout(cust, checkoutOf(cardDeclined, line{ProductID: product, Quantity: 2}))
	e.wantCanceled(cust, o.ID, store.ReasonPaymentDeclined, e.awaitSaga(o.ID))
	if onHand, reserved := e.stock(product); onHand != 5 || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want 5 and 0", onHand, reserved)
	}
	if ins := e.intentsOf(o.ID); len(ins) != 1 || ins[0].Status != string(payment.StatusFailed) {
		t.Errorf("intents %+v, want one failed", ins)
	}
	if n := e.count(`SELECT count(*) FROM sales_facts`); n != 0 {
		t.Errorf("%d sales facts for a declined order", n)
	}
}

// A payment that needs 3-D Secure and is never completed: at the payment timeout the saga
// cancels the intent, releases the stock and cancels the order payment_timeout.
func TestPaymentTimeoutCancelsOrderAndIntent(t *testing.T) {
	t.Parallel()
	const timeout = 3 * time.Second
	e := newEnv(t, withPaymentTimeout(timeout))
	product := e.newProduct(3, 4200)
	cust := e.newCustomer()

	began := time.Now()
	o := e.checkout(cust, checkoutOf(card3DS, line{ProductID: product, Quantity: 1}))
	res := e.awaitSaga(o.ID)
	if took := time.Since(began); took < timeout {
		t.Errorf("saga gave up after %s, before the %s payment timeout", took, timeout)
	}
	e.wantCanceled(cust, o.ID, store.ReasonPaymentTimeout, res)
	if onHand, reserved := e.stock(product); onHand != 3 || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want 3 and 0", onHand, reserved)
	}
	if ins := e.intentsOf(o.ID); len(ins) != 1 || ins[0].Status != string(payment.StatusCanceled) {
		t.Errorf("intents %+v, want one canceled", ins)
	}
	if res.IntentID == "" {
		t.Error("saga result names no intent")
	}
}

// 3-D Secure completed by the shopper while the saga waits: the order is placed.
func TestThreeDSecureCompletedPlacesOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	product := e.newProduct(5, 1500)
	cust := e.newCustomer()

	o := e.checkout(cust, checkoutOf(card3DS, line{ProductID: product, Quantity: 1}))
	e.awaitStep(o.ID, workflows.StepAwaitingPayment)
	waiting := e.order(cust, o.ID)
	if waiting.Status != store.OrderAwaitingPayment || waiting.Payment == nil ||
		waiting.Payment.Status != string(payment.StatusRequiresAction) || waiting.intentID() == "" {
		t.Fatalf("while waiting for 3-D Secure the order is %s with payment %+v, want awaiting_payment, requires_action",
			waiting.Status, waiting.Payment)
	}
	if _, reserved := e.stock(product); reserved != 1 {
		t.Errorf("while waiting %d units are reserved, want 1", reserved)
	}
	e.completePayment(cust, waiting.intentID(), true)

	e.wantPlaced(cust, o.ID, e.awaitSaga(o.ID))
	if onHand, reserved := e.stock(product); onHand != 4 || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want 4 and 0", onHand, reserved)
	}
	if n := e.count(`SELECT count(*) FROM sales_facts WHERE external_order_id = $1`, o.ID); n != 1 {
		t.Errorf("%d sales facts for the order, want 1", n)
	}
}

// The shopper cancels while the saga waits for 3-D Secure: the order is canceled
// canceled_by_customer, the intent canceled, the stock back.
func TestCancelWhileAwaitingPayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	product := e.newProduct(4, 900)
	cust := e.newCustomer()

	o := e.checkout(cust, checkoutOf(card3DS, line{ProductID: product, Quantity: 2}))
	e.awaitStep(o.ID, workflows.StepAwaitingPayment)
	if _, reserved := e.stock(product); reserved != 2 {
		t.Errorf("while waiting %d units are reserved, want 2", reserved)
	}
	e.cancelOrder(cust, o.ID)

	e.wantCanceled(cust, o.ID, store.ReasonCanceledByUser, e.awaitSaga(o.ID))
	if onHand, reserved := e.stock(product); onHand != 4 || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want 4 and 0", onHand, reserved)
	}
	if ins := e.intentsOf(o.ID); len(ins) != 1 || ins[0].Status != string(payment.StatusCanceled) {
		t.Errorf("intents %+v, want one canceled", ins)
	}
}

// The same checkout sent 20 times at once with one Idempotency-Key creates one order, one saga
// and one payment intent; a retry after it finished answers with the same order.
func TestIdempotentCheckoutCreatesOneOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	product := e.newProduct(5, 1200)
	cust := e.newCustomer()
	body, err := json.Marshal(checkoutOf(cardVisa, line{ProductID: product, Quantity: 1}))
	if err != nil {
		t.Fatal(err)
	}
	const key, tries = "double-click-1", 20

	type answer struct {
		code  int
		order string
		raw   []byte
		err   error
	}
	answers := make([]answer, tries)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			<-start
			code, res, raw, err := e.postCheckout(cust, key, body)
			answers[i] = answer{code, res.Order.ID, raw, err}
		})
	}
	close(start)
	wg.Wait()

	orderID, codes := "", map[int]int{}
	for _, a := range answers {
		codes[a.code]++
		switch {
		case a.err != nil:
			t.Error(a.err)
		case a.code == http.StatusAccepted:
			if orderID != "" && a.order != orderID {
				t.Errorf("one key answered with two orders: %s and %s", orderID, a.order)
			}
			orderID = a.order
		case a.code == http.StatusConflict:
			// A duplicate arriving while the first is still handled may be told to retry.
		default:
			t.Errorf("duplicate checkout: status %d, want 202 (or 409 while in progress): %s", a.code, a.raw)
		}
	}
	t.Logf("answers to %d concurrent duplicates: %v", tries, codes)
	if orderID == "" {
		t.Fatal("no duplicate was accepted")
	}
	e.wantPlaced(cust, orderID, e.awaitSaga(orderID))

	code, res, raw, err := e.postCheckout(cust, key, body)
	if err != nil || code != http.StatusAccepted || res.Order.ID != orderID {
		t.Errorf("retry after the saga finished: %d %v, order %q, want 202 with order %s: %s", code, err, res.Order.ID, orderID, raw)
	}
	if n := e.count(`SELECT count(*) FROM orders WHERE customer_id = $1`, cust.ID); n != 1 {
		t.Errorf("%d orders stored, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM sandbox_intents`); n != 1 {
		t.Errorf("%d payment intents, want 1", n)
	}
	if onHand, reserved := e.stock(product); onHand != 4 || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want 4 and 0", onHand, reserved)
	}
	// One saga: Temporal knows exactly one execution for this customer, and it completed.
	var executions int
	eventually(t, 30*time.Second, func() (bool, error) {
		list, err := e.temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("CustomerId = '%s'", cust.ID)})
		if err != nil {
			return false, err
		}
		executions = len(list.GetExecutions())
		for _, x := range list.GetExecutions() {
			if x.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
				return false, nil
			}
		}
		return executions > 0, nil
	}, func() string { return fmt.Sprintf("the customer's saga to show as closed (%d listed)", executions) })
	if executions != 1 {
		t.Errorf("%d checkout sagas for the customer, want 1", executions)
	}
}

// While a saga waits for 3-D Secure, the step query answers awaiting_payment and operators find
// it in visibility by order, customer and status; the status follows the saga to its end.
func TestSagaIsQueryableAndSearchable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	product := e.newProduct(2, 700)
	cust := e.newCustomer()

	o := e.checkout(cust, checkoutOf(card3DS, line{ProductID: product, Quantity: 1}))
	e.awaitStep(o.ID, workflows.StepAwaitingPayment)
	e.wantListed(fmt.Sprintf("OrderId = '%s'", o.ID), workflows.CheckoutWorkflowID(o.ID))
	e.wantListed(fmt.Sprintf("OrderId = '%s' AND CustomerId = '%s' AND OrderStatus = '%s'", o.ID, cust.ID, store.OrderAwaitingPayment),
		workflows.CheckoutWorkflowID(o.ID))

	e.cancelOrder(cust, o.ID)
	e.awaitSaga(o.ID)
	e.wantListed(fmt.Sprintf("OrderId = '%s' AND OrderStatus = '%s'", o.ID, store.OrderCanceled), workflows.CheckoutWorkflowID(o.ID))
	step, err := e.checkouts.Step(context.Background(), o.ID)
	if err != nil || step != workflows.StepCanceled {
		t.Errorf("step of the finished saga: %q, %v; want %s", step, err, workflows.StepCanceled)
	}
}

// wantListed waits until the visibility query lists exactly the one workflow.
func (e *env) wantListed(query, workflowID string) {
	e.t.Helper()
	var got []string
	eventually(e.t, 30*time.Second, func() (bool, error) {
		list, err := e.temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return false, fmt.Errorf("list workflows %q: %w", query, err)
		}
		got = got[:0]
		for _, x := range list.GetExecutions() {
			got = append(got, x.GetExecution().GetWorkflowId())
		}
		return len(got) == 1 && got[0] == workflowID, nil
	}, func() string { return fmt.Sprintf("%q to list only %s (lists %v)", query, workflowID, got) })
}
