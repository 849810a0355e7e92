package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"shopflow/api"
	"shopflow/store"
	"shopflow/workflows"
)

// fakeReviews stands in for the checkout sagas' fraud review update.
type fakeReviews struct {
	mu        sync.Mutex
	decisions map[string]workflows.FraudDecision
	// err, when set, is the answer to every decision; decided, the decision taken already.
	err     error
	decided *workflows.ReviewOutcome
}

func (f *fakeReviews) ReviewOrder(_ context.Context, orderID string, d workflows.FraudDecision) (workflows.ReviewOutcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return workflows.ReviewOutcome{}, f.err
	}
	if f.decided != nil {
		return *f.decided, nil
	}
	if f.decisions == nil {
		f.decisions = map[string]workflows.FraudDecision{}
	}
	f.decisions[orderID] = d
	if d.Decision == workflows.ReviewReject {
		return workflows.ReviewOutcome{Decision: store.FraudRejected, Status: store.OrderCanceled, Reason: store.ReasonFraudRejected}, nil
	}
	return workflows.ReviewOutcome{Decision: store.FraudApproved, Status: store.OrderAwaitingPayment}, nil
}

// withReviews is e's API with fake as its fraud reviews.
func (e *testEnv) withReviews(t *testing.T, fake *fakeReviews) *testEnv {
	return e.rebuilt(t, func(d *api.Deps) { d.FraudReviews = fake })
}

// screenedOrder checks out one product as cust, reserves it as the saga would, and records
// the fraud screen's decision on it.
func (e *testEnv) screenedOrder(cust account, product int64, decision string) string {
	e.t.Helper()
	o := e.checkoutOrder(cust, map[string]any{"product_id": product, "quantity": 1})
	ctx := context.Background()
	if res, err := e.Store.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		e.t.Fatalf("reserve %s: %+v %v", o.ID, res, err)
	}
	err := e.Store.RecordFraud(ctx, o.ID, store.FraudRecord{Screen: "rules", Score: 60, Decision: decision,
		Reasons: []store.FraudReason{{Rule: "large_order", Points: 40, Detail: "big"}, {Rule: "card_velocity", Points: 25, Detail: "busy"}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return o.ID
}

// Only admins see and decide fraud reviews.
func TestFraudReviewRoutesNeedAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withReviews(t, &fakeReviews{})
	id := uuid.NewString()
	routes := []req{
		{Method: "GET", Path: "/api/v1/admin/fraud/reviews"},
		{Method: "POST", Path: "/api/v1/admin/orders/" + id + "/fraud-review", Body: map[string]any{"decision": "approve"}},
	}
	for _, caller := range []struct {
		name  string
		token string
		want  int
	}{
		{"anonymous", "", http.StatusUnauthorized},
		{"customer", e.newCustomer().Token, http.StatusForbidden},
		{"seller", e.newSeller().Token, http.StatusForbidden},
	} {
		for _, r := range routes {
			r.Token = caller.token
			if res := e.do(r); res.Code != caller.want {
				t.Errorf("%s %s %s: %d, want %d", caller.name, r.Method, r.Path, res.Code, caller.want)
			}
		}
	}
}

type fraudReviewItem struct {
	OrderID      string              `json:"order_id"`
	Status       string              `json:"status"`
	FraudScore   int                 `json:"fraud_score"`
	FraudReasons []store.FraudReason `json:"fraud_reasons"`
}

// The list holds the orders waiting for review, oldest first, in pages that cover it once:
// not the allowed, rejected or canceled ones.
func TestFraudReviewListsOrdersWaiting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, cust := e.newAdmin(), e.newCustomer()
	product := e.fixtureProduct(e.newSeller(), productFixture{OnHand: 50})
	var want []string
	for range 3 {
		want = append(want, e.screenedOrder(cust, product, store.FraudReview))
	}
	e.screenedOrder(cust, product, store.FraudAllow)
	e.screenedOrder(cust, product, store.FraudReject)
	canceled := e.screenedOrder(cust, product, store.FraudReview)
	if _, err := e.Store.ReleaseOrder(context.Background(), canceled, store.ReasonFraudReviewTimeout); err != nil {
		t.Fatal(err)
	}

	var got []string
	path := "/api/v1/admin/fraud/reviews?limit=2"
	for range 5 {
		var page struct {
			Items      []fraudReviewItem `json:"items"`
			NextCursor *string           `json:"next_cursor"`
		}
		e.mustDo(http.StatusOK, req{Method: "GET", Path: path, Token: admin.Token}).JSON(t, &page)
		for _, it := range page.Items {
			got = append(got, it.OrderID)
			if it.Status != store.OrderAwaitingPayment || it.FraudScore != 60 || len(it.FraudReasons) != 2 || it.FraudReasons[0].Rule != "large_order" {
				t.Errorf("item %+v", it)
			}
		}
		if page.NextCursor == nil {
			break
		}
		path = "/api/v1/admin/fraud/reviews?limit=2&cursor=" + *page.NextCursor
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("listed %v, want %v", got, want)
	}
	for _, bad := range []string{"cursor=nonsense", "cursor=" + "dXNlcnM6QA", "status=review", "limit=0"} {
		res := e.mustDo(http.StatusBadRequest, req{Method: "GET", Path: "/api/v1/admin/fraud/reviews?" + bad, Token: admin.Token})
		if code := res.ErrorCode(t); code != "invalid" {
			t.Errorf("%s: error %s", bad, code)
		}
	}
}

// An admin's decision goes to the order's saga with the admin as reviewer; the answer is what
// the saga did; bad input and orders not in review are refused.
func TestFraudReviewDecision(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	fake := &fakeReviews{}
	e := base.withReviews(t, fake)
	admin, cust := e.newAdmin(), e.newCustomer()
	product := e.fixtureProduct(e.newSeller(), productFixture{OnHand: 10})
	order := e.screenedOrder(cust, product, store.FraudReview)
	path := "/api/v1/admin/orders/" + order + "/fraud-review"

	var approved struct {
		OrderID, Decision, Status string
		CancelReason              *string `json:"cancel_reason"`
	}
	e.mustDo(http.StatusOK, req{Method: "POST", Path: path, Token: admin.Token,
		Body: map[string]any{"decision": "approve", "note": "called the customer"}}).JSON(t, &approved)
	if approved.Decision != store.FraudApproved || approved.Status != store.OrderAwaitingPayment || approved.CancelReason != nil {
		t.Errorf("approve answered %+v", approved)
	}
	// The decision carries the admin as the actor, so the saga's record of it is audited as theirs.
	if d := fake.decisions[order]; d.Decision != "approve" || d.ReviewerID != admin.ID || d.Note != "called the customer" ||
		d.Actor.AccountID != admin.ID || d.Actor.Role != store.RoleAdmin || d.Actor.RequestID == "" {
		t.Errorf("saga got %+v", d)
	}
	var rejected struct {
		Decision, Status string
		CancelReason     *string `json:"cancel_reason"`
	}
	e.mustDo(http.StatusOK, req{Method: "POST", Path: path, Token: admin.Token, Body: map[string]any{"decision": "reject"}}).JSON(t, &rejected)
	if rejected.Status != store.OrderCanceled || rejected.CancelReason == nil || *rejected.CancelReason != store.ReasonFraudRejected {
		t.Errorf("reject answered %+v", rejected)
	}

	for _, tc := range []struct {
		name string
		path string
		body any
		want int
	}{
		{"decision not approve or reject", path, map[string]any{"decision": "maybe"}, http.StatusUnprocessableEntity},
		{"no decision", path, map[string]any{"note": "hm"}, http.StatusUnprocessableEntity},
		{"note too long", path, map[string]any{"decision": "approve", "note": strings.Repeat("x", 1001)}, http.StatusUnprocessableEntity},
		{"unknown field", path, map[string]any{"decision": "approve", "score": 1}, http.StatusBadRequest},
		{"no body", path, nil, http.StatusBadRequest},
		{"order id not a UUID", "/api/v1/admin/orders/42/fraud-review", map[string]any{"decision": "approve"}, http.StatusBadRequest},
	} {
		if res := e.do(req{Method: "POST", Path: tc.path, Token: admin.Token, Body: tc.body}); res.Code != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.name, res.Code, tc.want, res.Body)
		}
	}

	for _, tc := range []struct {
		name  string
		err   error
		order string
		want  int
	}{
		{"saga not in review", workflows.ErrNotInReview, order, http.StatusConflict},
		{"saga over", workflows.ErrNoSaga, order, http.StatusConflict},
		{"no such order", workflows.ErrNoSaga, uuid.NewString(), http.StatusNotFound},
		{"Temporal down", errors.New("connection refused"), order, http.StatusServiceUnavailable},
	} {
		refusing := base.withReviews(t, &fakeReviews{err: tc.err})
		res := refusing.do(req{Method: "POST", Path: "/api/v1/admin/orders/" + tc.order + "/fraud-review", Token: admin.Token,
			Body: map[string]any{"decision": "approve"}})
		if res.Code != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.name, res.Code, tc.want, res.Body)
		}
	}

	// Another admin's rejection came first: approving is a conflict; rejecting again is told
	// the outcome.
	first := &workflows.ReviewOutcome{Decision: store.FraudRejected, Status: store.OrderCanceled, Reason: store.ReasonFraudRejected}
	late := base.withReviews(t, &fakeReviews{decided: first})
	if res := late.do(req{Method: "POST", Path: path, Token: admin.Token, Body: map[string]any{"decision": "approve"}}); res.Code != http.StatusConflict {
		t.Errorf("approving a rejected order: %d %s", res.Code, res.Body)
	}
	late.mustDo(http.StatusOK, req{Method: "POST", Path: path, Token: admin.Token, Body: map[string]any{"decision": "reject"}})

	// Without a workflow service (an API built without Temporal) decisions cannot be taken.
	none := base.rebuilt(t, func(d *api.Deps) { d.FraudReviews = nil })
	none.mustDo(http.StatusServiceUnavailable, req{Method: "POST", Path: path, Token: admin.Token, Body: map[string]any{"decision": "approve"}})
}
