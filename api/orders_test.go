package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// orderPageView is the OrderPage schema as a client reads it.
type orderPageView struct {
	Items      []orderView `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

// ordersFixture is an env with two sellers, two customers and an admin, and one order holding a
// line of each seller.
type ordersFixture struct {
	e                   *testEnv
	sellerA, sellerB    account
	idle                account // a seller with nothing in any order
	buyer, other, admin account
	lamp, rug           int64
	order               orderView // buyer's: a lamp (seller A) and two rugs (seller B)
}

func newOrdersFixture(t *testing.T) *ordersFixture {
	t.Helper()
	e := newEnv(t)
	f := &ordersFixture{e: e, sellerA: e.newSeller(), sellerB: e.newSeller(), idle: e.newSeller(),
		buyer: e.newCustomer(), other: e.newCustomer(), admin: e.newAdmin()}
	f.lamp = e.fixtureProduct(f.sellerA, productFixture{PriceCents: 1000})
	f.rug = e.fixtureProduct(f.sellerB, productFixture{PriceCents: 250})
	f.order = e.checkoutOrder(f.buyer, coItem(f.lamp, 1), coItem(f.rug, 2))
	return f
}

func orderPath(id string, action ...string) string {
	p := "/api/v1/orders/" + id
	for _, a := range action {
		p += "/" + a
	}
	return p
}

// TestGetOrderVisibility proves who sees an order, and how much of it.
func TestGetOrderVisibility(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t)
	cases := []struct {
		name     string
		token    string
		path     string
		status   int
		products []int64 // lines shown
		total    int64
		payment  bool // payment_method shown
	}{
		{"its customer sees the whole order", f.buyer.Token, orderPath(f.order.ID), 200, []int64{f.lamp, f.rug}, 1500, true},
		{"an admin sees the whole order", f.admin.Token, orderPath(f.order.ID), 200, []int64{f.lamp, f.rug}, 1500, true},
		{"seller A sees only its line and its total", f.sellerA.Token, orderPath(f.order.ID), 200, []int64{f.lamp}, 1000, false},
		{"seller B sees only its line and its total", f.sellerB.Token, orderPath(f.order.ID), 200, []int64{f.rug}, 500, false},
		{"another customer gets 404", f.other.Token, orderPath(f.order.ID), 404, nil, 0, false},
		{"a seller with no line gets 404", f.idle.Token, orderPath(f.order.ID), 404, nil, 0, false},
		{"no token is 401", "", orderPath(f.order.ID), 401, nil, 0, false},
		{"a malformed id is 400", f.admin.Token, orderPath("not-a-uuid"), 400, nil, 0, false},
		{"an unknown order is 404", f.admin.Token, orderPath("0b7e6a8c-3f1e-4b8a-9d2a-2c7f4f0e9a11"), 404, nil, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := coEnv(f.e, t)
			res := e.mustDo(tc.status, req{Method: "GET", Path: tc.path, Token: tc.token})
			if tc.status != 200 {
				return
			}
			var o orderView
			res.JSON(t, &o)
			if !slices.Equal(o.productIDs(), tc.products) || o.TotalCents != tc.total || (o.PaymentMethod != "") != tc.payment {
				t.Errorf("lines %v total %d payment_method %q; want %v %d shown=%v", o.productIDs(), o.TotalCents, o.PaymentMethod, tc.products, tc.total, tc.payment)
			}
		})
	}
}

// TestListOrders proves each role's list, the admin filters, pagination and refused parameters.
func TestListOrders(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t)
	e := f.e
	second := e.checkoutOrder(f.buyer, coItem(f.lamp, 1))
	third := e.checkoutOrder(f.buyer, coItem(f.lamp, 1))
	theirs := e.checkoutOrder(f.other, coItem(f.rug, 1))
	e.placeOrder(second.ID)

	// listAll follows next_cursor to the end, one order per page.
	listAll := func(t *testing.T, token, query string) []orderView {
		var out []orderView
		path := "/api/v1/orders?limit=1" + query
		for range 20 {
			var page orderPageView
			coEnv(e, t).mustDo(200, req{Method: "GET", Path: path, Token: token}).JSON(t, &page)
			out = append(out, page.Items...)
			if page.NextCursor == nil {
				return out
			}
			path = "/api/v1/orders?limit=1" + query + "&cursor=" + *page.NextCursor
		}
		t.Fatal("pagination does not end")
		return nil
	}
	ids := func(os []orderView) []string {
		out := []string{}
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	cases := []struct {
		name  string
		token string
		query string
		want  []string
		lines int // lines every listed order shows to this caller, 0: do not check
	}{
		{"a customer lists its own orders, newest first", f.buyer.Token, "", []string{third.ID, second.ID, f.order.ID}, 0},
		{"another customer lists only its own", f.other.Token, "", []string{theirs.ID}, 0},
		{"a customer filters by status", f.buyer.Token, "&status=placed", []string{second.ID}, 0},
		{"seller B lists orders with its lines, showing only those", f.sellerB.Token, "", []string{theirs.ID, f.order.ID}, 1},
		{"seller A lists orders with its lines", f.sellerA.Token, "", []string{third.ID, second.ID, f.order.ID}, 1},
		{"a seller with no lines lists nothing", f.idle.Token, "", []string{}, 0},
		{"an admin lists everything", f.admin.Token, "", []string{theirs.ID, third.ID, second.ID, f.order.ID}, 0},
		{"an admin filters by customer", f.admin.Token, "&customer_id=" + f.other.ID, []string{theirs.ID}, 0},
		{"an admin filters by status", f.admin.Token, "&status=pending", []string{theirs.ID, third.ID, f.order.ID}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := listAll(t, tc.token, tc.query)
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("got %v, want %v", ids(got), tc.want)
			}
			for _, o := range got {
				if tc.lines != 0 && len(o.Lines) != tc.lines {
					t.Errorf("order %s shows %d lines, want %d", o.ID, len(o.Lines), tc.lines)
				}
			}
		})
	}

	var first orderPageView
	e.mustDo(200, req{Method: "GET", Path: "/api/v1/orders?limit=1", Token: f.buyer.Token}).JSON(t, &first)
	bad := []struct {
		name   string
		token  string
		query  string
		status int
	}{
		{"limit 0", f.buyer.Token, "?limit=0", 400},
		{"limit 101", f.buyer.Token, "?limit=101", 400},
		{"limit not a number", f.buyer.Token, "?limit=ten", 400},
		{"unknown status", f.buyer.Token, "?status=lost", 400},
		{"unknown parameter", f.buyer.Token, "?sort=total", 400},
		{"repeated parameter", f.admin.Token, "?status=placed&status=pending", 400},
		{"malformed customer_id", f.admin.Token, "?customer_id=42", 400},
		{"garbage cursor", f.buyer.Token, "?cursor=abc", 400},
		{"empty cursor", f.buyer.Token, "?cursor=", 400},
		{"a cursor from another list", f.buyer.Token, "?status=pending&cursor=" + *first.NextCursor, 400},
		{"a customer cannot filter by customer", f.buyer.Token, "?customer_id=" + f.other.ID, 403},
		{"a seller cannot filter by customer", f.sellerA.Token, "?customer_id=" + f.buyer.ID, 403},
		{"no token", "", "", 401},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			coEnv(e, t).mustDo(tc.status, req{Method: "GET", Path: "/api/v1/orders" + tc.query, Token: tc.token})
		})
	}
}

// TestCancelOrder proves who may cancel what: a running saga is asked and its outcome answered
// (200 once it canceled), and placed or others' orders are refused.
func TestCancelOrder(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t)
	e := f.e
	mine := e.checkoutOrder(f.buyer, coItem(f.lamp, 1))
	byAdmin := e.checkoutOrder(f.buyer, coItem(f.lamp, 1))
	placed := e.checkoutOrder(f.buyer, coItem(f.lamp, 1))
	e.placeOrder(placed.ID)
	canceled := e.checkoutOrder(f.buyer, coItem(f.lamp, 1))
	e.exec(`UPDATE orders SET status = 'canceled', cancel_reason = 'out_of_stock' WHERE id = $1`, canceled.ID)

	cases := []struct {
		name   string
		token  string
		id     string
		status int
		reason string // the reason the saga was asked to cancel with; "" = not asked
	}{
		{"another customer gets 404", f.other.Token, mine.ID, 404, ""},
		{"a seller is forbidden", f.sellerA.Token, mine.ID, 403, ""},
		{"a malformed id is 400", f.buyer.Token, "nope", 400, ""},
		{"a placed order cannot be canceled", f.buyer.Token, placed.ID, 409, ""},
		{"a canceled order cannot be canceled", f.admin.Token, canceled.ID, 409, ""},
		{"its customer asks the saga to cancel", f.buyer.Token, mine.ID, 200, "canceled_by_customer"},
		{"an admin asks the saga to cancel", f.admin.Token, byAdmin.ID, 200, "canceled_by_admin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := coEnv(e, t).mustDo(tc.status, req{Method: "POST", Path: orderPath(tc.id, "cancel"), Token: tc.token})
			e.Sagas.mu.Lock()
			asked := e.Sagas.Canceled[tc.id]
			e.Sagas.mu.Unlock()
			if asked != tc.reason {
				t.Errorf("saga asked to cancel with %q, want %q", asked, tc.reason)
			}
			if tc.status == 200 {
				var o orderView
				res.JSON(t, &o)
				if o.ID != tc.id {
					t.Errorf("200 body: %+v", o)
				}
			}
		})
	}
	if got := e.orderAs(f.buyer.Token, placed.ID); got.Status != "placed" {
		t.Errorf("refused cancel changed a placed order: %s", got.Status)
	}
	// The admin's cancel is on the audit trail as the admin's; the customer's is not audited.
	var byAdminRecords, byCustomerRecords int
	if err := e.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE resource_id = $1 AND actor_id = $2),
		       count(*) FILTER (WHERE resource_id = $3)
		FROM audit_log WHERE action = 'order.cancel'`, byAdmin.ID, f.admin.ID, mine.ID).Scan(&byAdminRecords, &byCustomerRecords); err != nil ||
		byAdminRecords != 1 || byCustomerRecords != 0 {
		t.Errorf("order.cancel records: admin's %d, customer's %d (%v), want 1 and 0", byAdminRecords, byCustomerRecords, err)
	}
}

// TestCancelOrderWithoutSaga: an order whose saga never started (Temporal was down at checkout)
// is canceled here and now; one awaiting payment is left to its saga, which alone can settle it.
func TestCancelOrderWithoutSaga(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t)
	e := f.e
	e.Sagas.NotRunning = true
	awaiting := e.checkoutOrder(f.buyer, coItem(f.lamp, 1))
	if res, err := e.Store.ReserveOrder(t.Context(), awaiting.ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		t.Fatalf("reserve: %+v %v", res, err)
	}

	res := e.mustDo(http.StatusOK, req{Method: "POST", Path: orderPath(f.order.ID, "cancel"), Token: f.buyer.Token})
	var o orderView
	res.JSON(t, &o)
	if o.Status != "canceled" || o.CancelReason == nil || *o.CancelReason != "canceled_by_customer" ||
		o.Timeline[len(o.Timeline)-1].Status != "canceled" {
		t.Errorf("canceled order: %+v", o)
	}
	e.mustDo(http.StatusConflict, req{Method: "POST", Path: orderPath(f.order.ID, "cancel"), Token: f.admin.Token})

	e.mustDo(http.StatusServiceUnavailable, req{Method: "POST", Path: orderPath(awaiting.ID, "cancel"), Token: f.buyer.Token})
	if got := e.orderAs(f.buyer.Token, awaiting.ID); got.Status != "awaiting_payment" {
		t.Errorf("an order awaiting payment was changed without its saga: %s", got.Status)
	}
}

// TestShipAndDeliverOrder walks a two-seller order through fulfilment over the API: each seller
// moves only its own line, the order follows its lines, and every illegal move is a 409.
func TestShipAndDeliverOrder(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t)
	e := f.e
	id := f.order.ID
	pending := e.checkoutOrder(f.buyer, coItem(f.rug, 1))

	steps := []struct {
		name        string
		token       string
		id          string
		action      string
		status      int
		order       string   // the order's status afterwards
		fulfilments []string // its lines' afterwards
	}{
		{"a pending order cannot ship", f.admin.Token, pending.ID, "ship", 409, "", nil},
		{"a customer cannot ship", f.buyer.Token, id, "ship", 403, "", nil},
		{"no token is 401", "", id, "ship", 401, "", nil},
		{"a malformed id is 400", f.admin.Token, "x", "ship", 400, "", nil},
		{"an unknown order is 404", f.admin.Token, "0b7e6a8c-3f1e-4b8a-9d2a-2c7f4f0e9a11", "ship", 404, "", nil},
		{"the order is placed by its saga", "", id, "place", 0, "placed", []string{"pending", "pending"}},
		{"delivering before shipping is a conflict", f.admin.Token, id, "deliver", 409, "placed", []string{"pending", "pending"}},
		{"a seller with no line in the order gets 404", f.idle.Token, id, "ship", 404, "placed", []string{"pending", "pending"}},
		{"seller A ships only its own line", f.sellerA.Token, id, "ship", 200, "placed", []string{"shipped", "pending"}},
		{"seller A cannot ship twice", f.sellerA.Token, id, "ship", 409, "placed", []string{"shipped", "pending"}},
		{"seller B cannot deliver before shipping", f.sellerB.Token, id, "deliver", 409, "placed", []string{"shipped", "pending"}},
		{"seller B ships its line: the order has shipped", f.sellerB.Token, id, "ship", 200, "shipped", []string{"shipped", "shipped"}},
		{"an admin cannot ship a shipped order", f.admin.Token, id, "ship", 409, "shipped", []string{"shipped", "shipped"}},
		{"seller B delivers its line", f.sellerB.Token, id, "deliver", 200, "shipped", []string{"shipped", "delivered"}},
		{"an admin delivers the rest: the order is delivered", f.admin.Token, id, "deliver", 200, "delivered", []string{"delivered", "delivered"}},
		{"delivering twice is a conflict", f.sellerA.Token, id, "deliver", 409, "delivered", []string{"delivered", "delivered"}},
	}
	for _, s := range steps {
		if s.action == "place" {
			e.placeOrder(s.id)
		} else {
			res := e.do(req{Method: "POST", Path: orderPath(s.id, s.action), Token: s.token})
			if res.Code != s.status {
				t.Fatalf("%s: %d %s, want %d", s.name, res.Code, res.Body, s.status)
			}
			if s.status == 200 {
				var o orderView
				res.JSON(t, &o)
				if s.token != f.admin.Token && len(o.Lines) != 1 {
					t.Errorf("%s: a seller's answer shows %d lines", s.name, len(o.Lines))
				}
			}
		}
		if s.order == "" {
			continue
		}
		o := e.orderAs(f.admin.Token, s.id)
		if o.Status != s.order || !slices.Equal(o.fulfilments(), s.fulfilments) {
			t.Fatalf("%s: order %s lines %v, want %s %v", s.name, o.Status, o.fulfilments(), s.order, s.fulfilments)
		}
	}
	o := e.orderAs(f.buyer.Token, id)
	var timeline []string
	for _, ev := range o.Timeline {
		timeline = append(timeline, ev.Status)
	}
	want := []string{"placed", "lines_shipped", "shipped", "lines_delivered", "delivered"}
	if len(timeline) < len(want) || !slices.Equal(timeline[len(timeline)-len(want):], want) {
		t.Errorf("timeline %v, want it to end with %v", timeline, want)
	}
	if got := e.orderAs(f.buyer.Token, pending.ID); got.Status != "pending" || got.fulfilments()[0] != "pending" {
		t.Errorf("the refused shipment changed the pending order: %+v", got)
	}
}

// A cancel the saga could not honour, because the order was placed first, is a 409: the caller
// is never told a cancel happened that did not.
func TestCancelOrderTooLate(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t)
	e := f.e
	o := e.checkoutOrder(f.buyer, coItem(f.lamp, 1))
	e.Sagas.mu.Lock()
	e.Sagas.TooLate = true
	e.Sagas.mu.Unlock()
	if res := e.do(req{Method: "POST", Path: orderPath(o.ID, "cancel"), Token: f.buyer.Token}); res.Code != http.StatusConflict {
		t.Fatalf("cancel after the saga placed the order: %d %s, want 409", res.Code, res.Body)
	}
}
