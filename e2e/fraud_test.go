package e2e

import (
	"net/http"
	"testing"
	"time"

	"shopflow/config"
	"shopflow/store"
	"shopflow/workflows"
)

// withFraudRules screens with the built-in rules as production does, tuned so that a new
// customer's order of 1000.00 or more goes to review (large 40 + first order 35) and an order
// shipping to KP is rejected.
func withFraudRules(reviewTimeout time.Duration) envOption {
	return withConfig(func(c *config.Config) {
		c.FraudScreen = config.FraudRules
		c.FraudBlockedCountries = []string{"KP"}
		c.FraudLargeOrderCents = 100000
		c.FraudFirstOrderCents = 100000
		c.FraudReviewTimeout = reviewTimeout
	})
}

// fraudReview is one item of GET /api/v1/admin/fraud/reviews.
type fraudReview struct {
	OrderID      string `json:"order_id"`
	FraudScore   int    `json:"fraud_score"`
	FraudReasons []struct {
		Rule string `json:"rule"`
	} `json:"fraud_reasons"`
}

// reviewDecision is the answer of POST /api/v1/admin/orders/{id}/fraud-review.
type reviewDecision struct {
	Decision     string  `json:"decision"`
	Status       string  `json:"status"`
	CancelReason *string `json:"cancel_reason"`
}

// The fraud screen in the saga against the real server: a blocked country is canceled
// fraud_suspected before anything is charged; orders in review keep their stock until an admin
// approves one (placed and paid) and rejects another (canceled, stock back, never charged).
func TestFraudScreenRejectsAndReviews(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withFraudRules(time.Hour))
	admin := e.newAdmin()
	product := e.newProduct(10, 60000)

	blocked := checkoutOf(cardVisa, line{ProductID: product, Quantity: 1})
	blocked.ShippingAddress.Country = "KP"
	cust := e.newCustomer()
	o := e.checkout(cust, blocked)
	e.wantCanceled(cust, o.ID, store.ReasonFraudSuspected, e.awaitSaga(o.ID))
	if ins := e.intentsOf(o.ID); len(ins) != 0 {
		t.Errorf("a rejected order has payment intents %+v", ins)
	}

	approvedCust, rejectedCust := e.newCustomer(), e.newCustomer()
	approved := e.checkout(approvedCust, checkoutOf(cardVisa, line{ProductID: product, Quantity: 2}))
	rejected := e.checkout(rejectedCust, checkoutOf(cardVisa, line{ProductID: product, Quantity: 3}))
	e.awaitStep(approved.ID, workflows.StepAwaitingReview)
	e.awaitStep(rejected.ID, workflows.StepAwaitingReview)
	if _, reserved := e.stock(product); reserved != 5 {
		t.Errorf("%d units reserved during the reviews, want 5", reserved)
	}
	// The held stock outlives the review and the payment after it: the sweep leaves it alone.
	if n := e.count(`SELECT count(*) FROM reservations WHERE order_id = ANY($1::uuid[]) AND status = 'held'
		AND expires_at > now() + interval '1 hour'`, []string{approved.ID, rejected.ID}); n != 2 {
		t.Errorf("%d of 2 reservations extended past the review", n)
	}
	var page struct {
		Items []fraudReview `json:"items"`
	}
	e.mustSend(request{method: "GET", path: "/api/v1/admin/fraud/reviews", token: admin.Token}, &page, http.StatusOK)
	if len(page.Items) != 2 || page.Items[0].OrderID != approved.ID || page.Items[1].OrderID != rejected.ID ||
		page.Items[0].FraudScore != 75 || len(page.Items[0].FraudReasons) != 2 {
		t.Errorf("orders in review: %+v", page.Items)
	}

	var yes, no reviewDecision
	e.mustSend(request{method: "POST", path: "/api/v1/admin/orders/" + approved.ID + "/fraud-review", token: admin.Token,
		body: map[string]string{"decision": "approve", "note": "known customer"}}, &yes, http.StatusOK)
	if yes.Decision != store.FraudApproved || yes.Status != store.OrderAwaitingPayment {
		t.Errorf("approve answered %+v", yes)
	}
	e.wantPlaced(approvedCust, approved.ID, e.awaitSaga(approved.ID))

	e.mustSend(request{method: "POST", path: "/api/v1/admin/orders/" + rejected.ID + "/fraud-review", token: admin.Token,
		body: map[string]string{"decision": "reject"}}, &no, http.StatusOK)
	if no.Decision != store.FraudRejected || no.Status != store.OrderCanceled || no.CancelReason == nil || *no.CancelReason != store.ReasonFraudRejected {
		t.Errorf("reject answered %+v", no)
	}
	e.wantCanceled(rejectedCust, rejected.ID, store.ReasonFraudRejected, e.awaitSaga(rejected.ID))
	if ins := e.intentsOf(rejected.ID); len(ins) != 0 {
		t.Errorf("a rejected order has payment intents %+v", ins)
	}
	if n := e.count(`SELECT count(*) FROM payments WHERE order_id = $1`, rejected.ID); n != 0 {
		t.Errorf("a rejected order has %d payments", n)
	}
	if onHand, reserved := e.stock(product); onHand != 8 || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want 8 (2 sold) and 0", onHand, reserved)
	}
	var decision, reviewer string
	if err := e.db.QueryRow(t.Context(), `SELECT fraud_decision, coalesce(fraud_reviewed_by::text, '') FROM orders WHERE id = $1`,
		approved.ID).Scan(&decision, &reviewer); err != nil || decision != store.FraudApproved || reviewer != admin.ID {
		t.Errorf("approved order records %s by %s (%v), want approved by %s", decision, reviewer, err, admin.ID)
	}
	// The saga records the admin's decision, and the audit trail says it was that admin's.
	var audited int
	if err := e.db.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE resource_type = 'order' AND resource_id = $1
		AND actor_id = $2 AND after ->> 'fraud_decision' = 'approved'`, approved.ID, admin.ID).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("audit records of the approval by %s: %d (%v), want 1", admin.ID, audited, err)
	}

	// The same decision again is told its outcome again; the other decision, or one on an order
	// never in review, is a 409; no such order, a 404.
	var again reviewDecision
	e.mustSend(request{method: "POST", path: "/api/v1/admin/orders/" + rejected.ID + "/fraud-review", token: admin.Token,
		body: map[string]string{"decision": "reject"}}, &again, http.StatusOK)
	if again.Decision != store.FraudRejected || again.Status != store.OrderCanceled || again.CancelReason == nil ||
		*again.CancelReason != store.ReasonFraudRejected {
		t.Errorf("reject repeated answered %+v", again)
	}
	for _, id := range []string{rejected.ID, o.ID} {
		e.mustSend(request{method: "POST", path: "/api/v1/admin/orders/" + id + "/fraud-review", token: admin.Token,
			body: map[string]string{"decision": "approve"}}, nil, http.StatusConflict)
	}
	e.mustSend(request{method: "POST", path: "/api/v1/admin/orders/00000000-0000-4000-8000-000000000000/fraud-review", token: admin.Token,
		body: map[string]string{"decision": "approve"}}, nil, http.StatusNotFound)
}

// An order nobody reviews is canceled fraud_review_timeout at the review timeout, its stock
// back on sale and nothing charged.
func TestFraudReviewTimesOut(t *testing.T) {
	t.Parallel()
	const timeout = 3 * time.Second
	e := newEnv(t, withFraudRules(timeout))
	product := e.newProduct(4, 60000)
	cust := e.newCustomer()
	began := time.Now()
	o := e.checkout(cust, checkoutOf(cardVisa, line{ProductID: product, Quantity: 2}))
	res := e.awaitSaga(o.ID)
	if took := time.Since(began); took < timeout {
		t.Errorf("review gave up after %s, before the %s timeout", took, timeout)
	}
	e.wantCanceled(cust, o.ID, store.ReasonFraudReviewTimeout, res)
	if ins := e.intentsOf(o.ID); len(ins) != 0 {
		t.Errorf("payment intents %+v", ins)
	}
	if onHand, reserved := e.stock(product); onHand != 4 || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want 4 and 0", onHand, reserved)
	}
}

// The customer may still cancel an order in review: canceled at once, stock back, no charge.
func TestCancelDuringFraudReview(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withFraudRules(time.Hour))
	product := e.newProduct(4, 60000)
	cust := e.newCustomer()
	o := e.checkout(cust, checkoutOf(cardVisa, line{ProductID: product, Quantity: 2}))
	e.awaitStep(o.ID, workflows.StepAwaitingReview)
	e.cancelOrder(cust, o.ID)
	e.wantCanceled(cust, o.ID, store.ReasonCanceledByUser, e.awaitSaga(o.ID))
	if ins := e.intentsOf(o.ID); len(ins) != 0 {
		t.Errorf("payment intents %+v", ins)
	}
	if _, reserved := e.stock(product); reserved != 0 {
		t.Errorf("%d units still reserved", reserved)
	}
}

// TestRecordFraudHistories records, for workflows/replay_test.go, sagas down the fraud screen's
// paths (workflows' fraudScreenChange): rejected by the screen, and reviewed, approved and
// rejected:
//
//	go test ./e2e -run TestRecordFraudHistories -record-histories
func TestRecordFraudHistories(t *testing.T) {
	if !recording() {
		t.Skip("records histories only with -record-histories or SHOPFLOW_RECORD_HISTORIES=1")
	}
	const prefix = "checkout_fraud_"
	e := newEnv(t, withFraudRules(time.Hour))
	admin := e.newAdmin()
	product := e.newProduct(10, 60000)

	blocked := checkoutOf(cardVisa, line{ProductID: product, Quantity: 1})
	blocked.ShippingAddress.Country = "KP"
	suspected := e.checkout(e.newCustomer(), blocked)
	wantOutcome(t, e.awaitSaga(suspected.ID), store.OrderCanceled, store.ReasonFraudSuspected)
	e.saveHistory(prefix+"suspected", workflows.CheckoutWorkflowID(suspected.ID))

	for _, tc := range []struct {
		decision, status, reason string
	}{
		{"approve", store.OrderPlaced, ""},
		{"reject", store.OrderCanceled, store.ReasonFraudRejected},
	} {
		o := e.checkout(e.newCustomer(), checkoutOf(cardVisa, line{ProductID: product, Quantity: 2}))
		e.awaitStep(o.ID, workflows.StepAwaitingReview)
		e.mustSend(request{method: "POST", path: "/api/v1/admin/orders/" + o.ID + "/fraud-review", token: admin.Token,
			body: map[string]string{"decision": tc.decision}}, nil, http.StatusOK)
		wantOutcome(t, e.awaitSaga(o.ID), tc.status, tc.reason)
		e.saveHistory(prefix+"review_"+tc.decision, workflows.CheckoutWorkflowID(o.ID))
	}
}
