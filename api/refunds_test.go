package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"shopflow/api"
	"shopflow/audit"
	"shopflow/store"
)

// fakeRefundFlows records what the API asks of the refund workflows.
type fakeRefundFlows struct {
	mu       sync.Mutex
	canceled []string
	retried  []string
}

func (f *fakeRefundFlows) CancelPlaced(_ context.Context, id string, _ audit.Actor) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.canceled = append(f.canceled, id)
	return nil
}

func (f *fakeRefundFlows) RetryRefund(_ context.Context, r store.Refund, _ audit.Actor) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retried = append(f.retried, r.ID)
	return nil
}

// refundsFixture is the orders fixture's order placed and paid, its rug line (seller B's)
// shipped, with the refund flows faked.
func refundsFixture(t *testing.T) (*ordersFixture, *testEnv, *fakeRefundFlows) {
	t.Helper()
	f := newOrdersFixture(t)
	flows := &fakeRefundFlows{}
	e := f.e.rebuilt(t, func(d *api.Deps) { d.Refunds = flows })
	e.placeOrder(f.order.ID)
	ctx := context.Background()
	if err := e.Store.RecordPayment(ctx, f.order.ID, store.PaymentRecord{Provider: "sandbox", IntentID: "pi_" + f.order.ID,
		Status: "succeeded", AmountCents: f.order.TotalCents, Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.ShipOrder(ctx, f.order.ID, *f.sellerB.SellerID); err != nil {
		t.Fatal(err)
	}
	return f, e, flows
}

func lineBody(lineNo, quantity int) map[string]any {
	return map[string]any{"lines": []map[string]any{{"line_no": lineNo, "quantity": quantity}}, "reason": "no longer made"}
}

// TestCancelPlacedBadInput: refused cancellations are clear 4xx and change nothing.
func TestCancelPlacedBadInput(t *testing.T) {
	t.Parallel()
	f, e, flows := refundsFixture(t)
	path := orderPath(f.order.ID, "cancellations")
	cases := []struct {
		name   string
		token  string
		body   any
		status int
	}{
		{"a seller cancels another seller's line", f.sellerA.Token, lineBody(2, 1), http.StatusForbidden},
		{"an admin cancels a shipped line", f.admin.Token, lineBody(2, 1), http.StatusConflict},
		{"more units than the line holds", f.sellerA.Token, lineBody(1, 2), http.StatusConflict},
		{"a line the order lacks", f.admin.Token, lineBody(9, 1), http.StatusBadRequest},
		{"lines and all", f.admin.Token, map[string]any{"all": true, "lines": lineBody(1, 1)["lines"]}, http.StatusBadRequest},
		{"neither lines nor all", f.admin.Token, map[string]any{"reason": "x"}, http.StatusBadRequest},
		{"a zero quantity", f.admin.Token, lineBody(1, 0), http.StatusUnprocessableEntity},
		{"a seller with no line in the order", f.idle.Token, map[string]any{"all": true}, http.StatusNotFound},
		{"the customer", f.buyer.Token, map[string]any{"all": true}, http.StatusForbidden},
		{"nobody", "", map[string]any{"all": true}, http.StatusUnauthorized},
	}
	for _, c := range cases {
		if res := e.do(req{Method: "POST", Path: path, Token: c.token, Body: c.body}); res.Code != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, res.Code, res.Body, c.status)
		}
	}
	if n := e.countRows(`SELECT count(*) FROM cancellations`) + e.countRows(`SELECT coalesce(sum(canceled_quantity), 0)::int FROM order_items`); n != 0 {
		t.Errorf("refused cancellations changed something (%d)", n)
	}
	if len(flows.canceled) != 0 {
		t.Errorf("workflows started: %v", flows.canceled)
	}
	if o := e.orderAs(f.admin.Token, f.order.ID); o.Status != "placed" {
		t.Errorf("order %s, want placed", o.Status)
	}
}

// TestCancelPlacedAndRefundEndpoints: a seller cancels its own line (202, workflow started);
// refunds are visible to the customer, the seller of the line and admins; an admin lists
// failed refunds and retries one.
func TestCancelPlacedAndRefundEndpoints(t *testing.T) {
	t.Parallel()
	f, e, flows := refundsFixture(t)
	var c store.Cancellation
	e.mustDo(http.StatusAccepted, req{Method: "POST", Path: orderPath(f.order.ID, "cancellations"), Token: f.sellerA.Token,
		Body: map[string]any{"all": true, "reason": "broken in the warehouse"}}).JSON(t, &c)
	if c.Status != store.CancellationRequested || len(c.Lines) != 1 || c.Lines[0] != (store.CancelLine{LineNo: 1, Quantity: 1}) {
		t.Fatalf("cancellation %+v", c)
	}
	if len(flows.canceled) != 1 || flows.canceled[0] != c.ID {
		t.Errorf("workflows started %v, want %s", flows.canceled, c.ID)
	}
	e.mustDo(http.StatusConflict, req{Method: "POST", Path: orderPath(f.order.ID, "cancellations"), Token: f.sellerA.Token,
		Body: map[string]any{"all": true}})

	ctx := context.Background()
	r, err := e.Store.CreateRefund(ctx, store.NewRefund{OrderID: f.order.ID, Kind: store.RefundForCancel, Key: "cancel:" + c.ID,
		Lines: []store.RefundLine{{LineNo: 1, Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	refundsOf := func(token string, want int) []store.Refund {
		t.Helper()
		var page struct{ Items []store.Refund }
		e.mustDo(want, req{Method: "GET", Path: orderPath(f.order.ID, "refunds"), Token: token}).JSON(t, &page)
		return page.Items
	}
	if got := refundsOf(f.buyer.Token, http.StatusOK); len(got) != 1 || got[0].AmountCents != 1000 {
		t.Errorf("customer sees %+v, want the 1000 refund", got)
	}
	if got := refundsOf(f.sellerA.Token, http.StatusOK); len(got) != 1 {
		t.Errorf("seller A sees %+v", got)
	}
	if got := refundsOf(f.sellerB.Token, http.StatusOK); len(got) != 0 {
		t.Errorf("seller B sees %+v, want none of its lines", got)
	}
	refundsOf(f.other.Token, http.StatusNotFound)

	retry := req{Method: "POST", Path: "/api/v1/admin/refunds/" + r.ID + "/retry", Token: f.admin.Token}
	e.mustDo(http.StatusConflict, retry) // pending: nothing to retry
	if _, err := e.Store.FailRefund(ctx, r.ID, "refund_declined"); err != nil {
		t.Fatal(err)
	}
	var failed struct {
		Items      []store.Refund
		NextCursor *string `json:"next_cursor"`
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/admin/refunds?status=failed&limit=1", Token: f.admin.Token}).JSON(t, &failed)
	if len(failed.Items) != 1 || failed.Items[0].ID != r.ID || failed.Items[0].FailureReason != "refund_declined" || failed.NextCursor != nil {
		t.Errorf("failed refunds %+v", failed)
	}
	e.mustDo(http.StatusBadRequest, req{Method: "GET", Path: "/api/v1/admin/refunds?status=lost", Token: f.admin.Token})
	e.mustDo(http.StatusForbidden, req{Method: "GET", Path: "/api/v1/admin/refunds", Token: f.sellerA.Token})
	e.mustDo(http.StatusForbidden, req{Method: "POST", Path: retry.Path, Token: f.sellerA.Token})
	e.mustDo(http.StatusNotFound, req{Method: "POST", Path: "/api/v1/admin/refunds/00000000-0000-0000-0000-000000000000/retry", Token: f.admin.Token})
	e.mustDo(http.StatusAccepted, retry)
	if len(flows.retried) != 1 || flows.retried[0] != r.ID {
		t.Errorf("retried %v, want %s", flows.retried, r.ID)
	}
}
