package api_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"

	"shopflow/api"
	"shopflow/workflows"
)

// fakeReturnFlows stands in for workflows.Returns and records what the API told it.
type fakeReturnFlows struct {
	mu      sync.Mutex
	Started []string
	Steps   []string // return id + " " + status
	Actors  []string // the actor's account of each step
}

func (f *fakeReturnFlows) Start(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Started = append(f.Started, id)
	return nil
}

func (f *fakeReturnFlows) Step(_ context.Context, id string, ev workflows.ReturnEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Steps = append(f.Steps, id+" "+ev.Status)
	f.Actors = append(f.Actors, ev.Actor.AccountID)
	return nil
}

type returnView struct {
	ID       string  `json:"id"`
	OrderID  string  `json:"order_id"`
	SellerID string  `json:"seller_id"`
	Status   string  `json:"status"`
	ShipBy   *string `json:"ship_by"`
	Tracking string  `json:"tracking"`
	Lines    []struct {
		LineNo    int `json:"line_no"`
		Quantity  int `json:"quantity"`
		Received  int `json:"received_quantity"`
		Restocked int `json:"restocked_quantity"`
	} `json:"lines"`
}

// returnsFixture: a buyer's order of 3 lamps (seller A, line 1) and 2 rugs (seller B, line 2),
// the lamps delivered, the rugs only shipped.
type returnsFixture struct {
	e                   *testEnv
	flows               *fakeReturnFlows
	sellerA, sellerB    account
	buyer, other, admin account
	lamp, rug           int64
	order               string
}

func newReturnsFixture(t *testing.T) *returnsFixture {
	t.Helper()
	base := newEnv(t)
	flows := &fakeReturnFlows{}
	e := base.rebuilt(t, func(d *api.Deps) { d.Returns = flows })
	f := &returnsFixture{e: e, flows: flows, sellerA: e.newSeller(), sellerB: e.newSeller(), buyer: e.newCustomer(),
		other: e.newCustomer(), admin: e.newAdmin()}
	f.lamp = e.fixtureProduct(f.sellerA, productFixture{PriceCents: 1000, OnHand: 10})
	f.rug = e.fixtureProduct(f.sellerB, productFixture{PriceCents: 250, OnHand: 10})
	f.order = e.checkoutOrder(f.buyer, coItem(f.lamp, 3), coItem(f.rug, 2)).ID
	e.placeOrder(f.order)
	for _, s := range []struct {
		who    account
		action string
	}{{f.sellerA, "ship"}, {f.sellerA, "deliver"}, {f.sellerB, "ship"}} {
		e.mustDo(http.StatusOK, req{Method: "POST", Path: orderPath(f.order, s.action), Token: s.who.Token})
	}
	return f
}

func (f *returnsFixture) ask(token, order string, lines ...map[string]any) response {
	return f.e.do(req{Method: "POST", Path: orderPath(order, "returns"), Token: token,
		Header: map[string]string{"Idempotency-Key": "ret-" + randHex(6)},
		Body:   map[string]any{"reason": "too big", "lines": lines}})
}

func retLine(no, qty int) map[string]any { return map[string]any{"line_no": no, "quantity": qty} }

// TestReturnRequestBadInput: every bad request is a clear 4xx and changes nothing.
func TestReturnRequestBadInput(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	cases := []struct {
		name   string
		token  string
		order  string
		lines  []map[string]any
		status int
		code   string
	}{
		{"another customer's order is 404", f.other.Token, f.order, []map[string]any{retLine(1, 1)}, 404, "not_found"},
		{"an unknown order is 404", f.buyer.Token, "0b7e6a8c-3f1e-4b8a-9d2a-2c7f4f0e9a11", []map[string]any{retLine(1, 1)}, 404, "not_found"},
		{"a malformed order id is 400", f.buyer.Token, "x", []map[string]any{retLine(1, 1)}, 400, "invalid"},
		{"an unknown line is 422", f.buyer.Token, f.order, []map[string]any{retLine(7, 1)}, 422, "validation"},
		{"an undelivered line is 409", f.buyer.Token, f.order, []map[string]any{retLine(2, 1)}, 409, "conflict"},
		{"more units than delivered is 409", f.buyer.Token, f.order, []map[string]any{retLine(1, 4)}, 409, "conflict"},
		{"zero units is 422", f.buyer.Token, f.order, []map[string]any{retLine(1, 0)}, 422, "validation"},
		{"no lines is 422", f.buyer.Token, f.order, []map[string]any{}, 422, "validation"},
		{"a seller cannot ask", f.sellerA.Token, f.order, []map[string]any{retLine(1, 1)}, 403, "forbidden"},
	}
	for _, c := range cases {
		res := f.ask(c.token, c.order, c.lines...)
		if res.Code != c.status || res.ErrorCode(t) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, res.Code, res.Body, c.status, c.code)
		}
	}
	// Outside the window: the lamps were delivered 31 days ago.
	if _, err := f.e.Store.Pool.Exec(context.Background(), `UPDATE order_items SET delivered_at = now() - interval '31 days'
		WHERE order_id = $1`, f.order); err != nil {
		t.Fatal(err)
	}
	if res := f.ask(f.buyer.Token, f.order, retLine(1, 1)); res.Code != 409 {
		t.Errorf("outside the window: %d %s", res.Code, res.Body)
	}
	if n := f.e.countRows(`SELECT count(*) FROM returns`); n != 0 || len(f.flows.Started) != 0 {
		t.Errorf("bad requests wrote %d returns and started %d workflows", n, len(f.flows.Started))
	}
	if n := f.e.countRows(`SELECT coalesce(sum(returned_quantity), 0) FROM order_items WHERE order_id = $1`, f.order); n != 0 {
		t.Errorf("bad requests hold %d units", n)
	}
}

// TestReturnOverTheAPI walks a return through every step, as each party, with the refusals.
func TestReturnOverTheAPI(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	e := f.e
	key := map[string]string{"Idempotency-Key": "ret-once"}
	body := map[string]any{"lines": []map[string]any{retLine(1, 2)}}
	var created struct {
		Returns []returnView `json:"returns"`
	}
	e.mustDo(201, req{Method: "POST", Path: orderPath(f.order, "returns"), Token: f.buyer.Token, Header: key, Body: body}).JSON(t, &created)
	again := e.mustDo(201, req{Method: "POST", Path: orderPath(f.order, "returns"), Token: f.buyer.Token, Header: key, Body: body})
	var replay struct {
		Returns []returnView `json:"returns"`
	}
	again.JSON(t, &replay)
	if len(created.Returns) != 1 || len(replay.Returns) != 1 || replay.Returns[0].ID != created.Returns[0].ID {
		t.Fatalf("created %+v, replayed %+v", created, replay)
	}
	id := created.Returns[0].ID
	if n := e.countRows(`SELECT count(*) FROM returns`); n != 1 || !slices.Equal(f.flows.Started, []string{id}) {
		t.Fatalf("%d returns, workflows %v", n, f.flows.Started)
	}
	path := "/api/v1/returns/" + id
	steps := []struct {
		name   string
		token  string
		action string
		body   any
		status int
		after  string
	}{
		{"another customer cannot see it", f.other.Token, "", nil, 404, "requested"},
		{"the other seller cannot see it", f.sellerB.Token, "", nil, 404, "requested"},
		{"the other seller cannot approve it", f.sellerB.Token, "approve", nil, 404, "requested"},
		{"the customer cannot approve it", f.buyer.Token, "approve", nil, 403, "requested"},
		{"shipping before approval is 409", f.buyer.Token, "ship", map[string]any{"tracking": "1Z"}, 409, "requested"},
		{"its seller approves", f.sellerA.Token, "approve", map[string]any{"note": "fine"}, 200, "approved"},
		{"approving twice is 409", f.admin.Token, "approve", nil, 409, "approved"},
		{"shipping needs tracking", f.buyer.Token, "ship", map[string]any{}, 422, "approved"},
		{"the customer ships", f.buyer.Token, "ship", map[string]any{"tracking": "1Z999"}, 200, "shipped"},
		{"canceling once shipped is 409", f.buyer.Token, "cancel", nil, 409, "shipped"},
		{"receiving more than returned is 422", f.sellerA.Token, "receive",
			map[string]any{"lines": []map[string]any{{"line_no": 1, "received": 3}}}, 422, "shipped"},
		{"the seller receives both, one to stock", f.sellerA.Token, "receive",
			map[string]any{"lines": []map[string]any{{"line_no": 1, "received": 2, "restock": 1}}}, 200, "received"},
	}
	for _, s := range steps {
		r := req{Method: "GET", Path: path, Token: s.token}
		if s.action != "" {
			r = req{Method: "POST", Path: path + "/" + s.action, Token: s.token, Body: s.body}
		}
		if res := e.do(r); res.Code != s.status {
			t.Fatalf("%s: %d %s, want %d", s.name, res.Code, res.Body, s.status)
		}
		var v returnView
		e.mustDo(200, req{Method: "GET", Path: path, Token: f.buyer.Token}).JSON(t, &v)
		if v.Status != s.after {
			t.Fatalf("%s: the return is %s, want %s", s.name, v.Status, s.after)
		}
	}
	want := []string{id + " approved", id + " shipped", id + " received"}
	if !slices.Equal(f.flows.Steps, want) || f.flows.Actors[0] != f.sellerA.ID || f.flows.Actors[2] != f.sellerA.ID {
		t.Errorf("workflow told %v by %v, want %v", f.flows.Steps, f.flows.Actors, want)
	}
	var v returnView
	e.mustDo(200, req{Method: "GET", Path: path, Token: f.admin.Token}).JSON(t, &v)
	if v.Tracking != "1Z999" || v.ShipBy == nil || v.Lines[0].Received != 2 || v.Lines[0].Restocked != 1 {
		t.Errorf("return as received: %+v", v)
	}
	if n := e.countRows(`SELECT on_hand FROM inventory WHERE product_id = $1`, f.lamp); n != 8 {
		t.Errorf("lamp stock %d after selling 3 and restocking 1 of 10, want 8", n)
	}
}

// TestListReturns: each party lists what it may see; filters and cursors work.
func TestListReturns(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	e := f.e
	for range 3 {
		if res := f.ask(f.buyer.Token, f.order, retLine(1, 1)); res.Code != 201 {
			t.Fatalf("ask: %d %s", res.Code, res.Body)
		}
	}
	e.mustDo(200, req{Method: "POST", Path: "/api/v1/returns/" + f.flows.Started[0] + "/cancel", Token: f.buyer.Token})
	count := func(token, query string) int {
		t.Helper()
		n, path := 0, "/api/v1/returns?limit=2"+query
		for {
			var page struct {
				Items      []returnView `json:"items"`
				NextCursor *string      `json:"next_cursor"`
			}
			e.mustDo(200, req{Method: "GET", Path: path, Token: token}).JSON(t, &page)
			n += len(page.Items)
			if page.NextCursor == nil {
				return n
			}
			path = "/api/v1/returns?limit=2&cursor=" + *page.NextCursor + query
		}
	}
	for _, c := range []struct {
		name  string
		token string
		query string
		want  int
	}{
		{"the customer sees its own", f.buyer.Token, "", 3},
		{"another customer sees none", f.other.Token, "", 0},
		{"seller A sees its store's", f.sellerA.Token, "", 3},
		{"seller B sees none", f.sellerB.Token, "", 0},
		{"an admin sees all", f.admin.Token, "", 3},
		{"status filters", f.admin.Token, "&status=canceled", 1},
		{"order filters", f.buyer.Token, "&order_id=" + f.order, 3},
	} {
		if got := count(c.token, c.query); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	for _, q := range []string{"?status=lost", "?order_id=x", "?cursor=zzz", "?sort=new"} {
		if res := e.do(req{Method: "GET", Path: "/api/v1/returns" + q, Token: f.admin.Token}); res.Code != 400 {
			t.Errorf("%s: %d %s, want 400", q, res.Code, res.Body)
		}
	}
}

// TestReturnRequestsRaceOverTheAPI: concurrent requests for one line's units win exactly as many
// units as were delivered; the rest are 409, never a 500.
func TestReturnRequestsRaceOverTheAPI(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	codes := make([]int, 12)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = f.ask(f.buyer.Token, f.order, retLine(1, 1)).Code
		}()
	}
	wg.Wait()
	won := 0
	for _, c := range codes {
		switch c {
		case 201:
			won++
		case 409:
		default:
			t.Errorf("a racing request answered %d", c)
		}
	}
	if held := f.e.countRows(`SELECT returned_quantity FROM order_items WHERE order_id = $1 AND line_no = 1`, f.order); won != 3 || held != 3 {
		t.Errorf("%d requests won and %d units are held, want 3 of the 3 delivered", won, held)
	}
}
