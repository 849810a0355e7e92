package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"shopflow/errs"
	"shopflow/store"
)

const testReturnWindow = 30 * 24 * time.Hour

// returnsFixture is an order of a lamp (seller A, 3 units, line 1) and a rug (seller B, 2 units,
// line 2), placed and shipped, with only the lamp delivered.
type returnsFixture struct {
	*orderFixture
	lamp, rug int64
	order     store.Order
}

func newReturnsFixture(t *testing.T) *returnsFixture {
	t.Helper()
	f := &returnsFixture{orderFixture: newOrderFixture(t, 12)}
	ctx := context.Background()
	f.lamp = f.product(f.sellerA, "active", "USD", 1000, 10)
	f.rug = f.product(f.sellerB, "active", "USD", 250, 10)
	f.order = f.placed(store.OrderItem{ProductID: f.lamp, Quantity: 3}, store.OrderItem{ProductID: f.rug, Quantity: 2})
	for _, step := range []func(context.Context, string, string) (store.Order, error){f.st.ShipOrder, f.st.DeliverOrder} {
		if _, err := step(ctx, f.order.ID, f.sellerA); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.ShipOrder(ctx, f.order.ID, f.sellerB); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *returnsFixture) request(customer string, window time.Duration, lines ...store.NewReturnLine) ([]store.Return, error) {
	return f.st.RequestReturn(context.Background(), store.NewReturn{OrderID: f.order.ID, CustomerID: customer,
		Reason: "does not fit", Lines: lines, Window: window})
}

func (f *returnsFixture) returned(line int) int {
	return f.count(`SELECT returned_quantity FROM order_items WHERE order_id = $1 AND line_no = $2`, f.order.ID, line)
}

func wantCode(t *testing.T, what string, err error, want errs.Code) {
	t.Helper()
	if got := errs.CodeOf(err); (want == "" && err != nil) || (want != "" && got != want) {
		t.Fatalf("%s: error %v (%s), want %q", what, err, got, want)
	}
}

// TestReturnRequestRefusesBadInput: each bad request is refused with its own code and writes nothing.
func TestReturnRequestRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	cases := []struct {
		name     string
		customer string
		window   time.Duration
		lines    []store.NewReturnLine
		want     errs.Code
	}{
		{"another customer's order is not found", f.another, testReturnWindow, []store.NewReturnLine{{LineNo: 1, Quantity: 1}}, errs.NotFound},
		{"an unknown line is invalid", f.customer, testReturnWindow, []store.NewReturnLine{{LineNo: 9, Quantity: 1}}, errs.Unprocessable},
		{"no line is invalid", f.customer, testReturnWindow, nil, errs.Unprocessable},
		{"a line named twice is invalid", f.customer, testReturnWindow, []store.NewReturnLine{{LineNo: 1, Quantity: 1}, {LineNo: 1, Quantity: 1}}, errs.Unprocessable},
		{"an undelivered line is a conflict", f.customer, testReturnWindow, []store.NewReturnLine{{LineNo: 2, Quantity: 1}}, errs.Conflict},
		{"more units than delivered is a conflict", f.customer, testReturnWindow, []store.NewReturnLine{{LineNo: 1, Quantity: 4}}, errs.Conflict},
		{"outside the window is a conflict", f.customer, time.Nanosecond, []store.NewReturnLine{{LineNo: 1, Quantity: 1}}, errs.Conflict},
		{"one bad line refuses the whole request", f.customer, testReturnWindow, []store.NewReturnLine{{LineNo: 1, Quantity: 1}, {LineNo: 2, Quantity: 1}}, errs.Conflict},
	}
	for _, c := range cases {
		_, err := f.request(c.customer, c.window, c.lines...)
		wantCode(t, c.name, err, c.want)
	}
	if n := f.count(`SELECT count(*) FROM returns`); n != 0 || f.returned(1) != 0 || f.returned(2) != 0 {
		t.Errorf("refused requests wrote %d returns, held %d and %d units", n, f.returned(1), f.returned(2))
	}
}

// TestReturnLifecycle walks returns of both sellers through every step and its refusals.
func TestReturnLifecycle(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	ctx := context.Background()
	if _, err := f.st.DeliverOrder(ctx, f.order.ID, f.sellerB); err != nil {
		t.Fatal(err)
	}
	rets, err := f.request(f.customer, testReturnWindow, store.NewReturnLine{LineNo: 2, Quantity: 1}, store.NewReturnLine{LineNo: 1, Quantity: 2})
	if err != nil || len(rets) != 2 {
		t.Fatalf("request: %d returns, %v", len(rets), err)
	}
	bySeller := map[string]store.Return{}
	for _, r := range rets {
		bySeller[r.SellerID] = r
		if r.Status != store.ReturnRequested || len(r.Lines) != 1 {
			t.Errorf("new return %+v", r)
		}
	}
	lampRet, rugRet := bySeller[f.sellerA], bySeller[f.sellerB]
	if lampRet.Lines[0].LineNo != 1 || lampRet.Lines[0].Quantity != 2 || f.returned(1) != 2 || f.returned(2) != 1 {
		t.Fatalf("lamp return %+v, held %d/%d", lampRet, f.returned(1), f.returned(2))
	}
	_, err = f.request(f.customer, testReturnWindow, store.NewReturnLine{LineNo: 1, Quantity: 2})
	wantCode(t, "asking again for more than is left", err, errs.Conflict)

	seller := store.ReturnParty{SellerID: f.sellerA}
	customer := store.ReturnParty{CustomerID: f.customer}
	_, err = f.st.DecideReturn(ctx, lampRet.ID, store.ReturnParty{SellerID: f.sellerB}, true, "", time.Hour)
	wantCode(t, "another seller approves", err, errs.NotFound)
	_, err = f.st.DecideReturn(ctx, lampRet.ID, customer, true, "", time.Hour)
	wantCode(t, "the customer approves", err, errs.Forbidden)
	_, err = f.st.ShipReturn(ctx, lampRet.ID, f.customer, "1Z")
	wantCode(t, "shipping before approval", err, errs.Conflict)
	r, err := f.st.DecideReturn(ctx, lampRet.ID, seller, true, "ok", time.Hour)
	wantCode(t, "seller approves", err, "")
	if r.Status != store.ReturnApproved || r.ShipBy == nil || r.DecisionNote != "ok" {
		t.Errorf("approved: %+v", r)
	}
	_, err = f.st.ShipReturn(ctx, lampRet.ID, f.another, "1Z")
	wantCode(t, "another customer ships", err, errs.NotFound)
	_, err = f.st.ReceiveReturn(ctx, lampRet.ID, seller, []store.ReceivedLine{{LineNo: 1, Received: 2, Restock: 1}})
	wantCode(t, "receiving before shipping", err, errs.Conflict)
	if r, err = f.st.ShipReturn(ctx, lampRet.ID, f.customer, "1Z"); err != nil || r.Tracking != "1Z" {
		t.Fatalf("ship: %+v %v", r, err)
	}
	_, err = f.st.CancelReturn(ctx, lampRet.ID, f.customer)
	wantCode(t, "canceling once shipped", err, errs.Conflict)
	before, _ := f.stock(f.lamp)
	for name, lines := range map[string][]store.ReceivedLine{
		"more received than returned":  {{LineNo: 1, Received: 3}},
		"more restocked than received": {{LineNo: 1, Received: 1, Restock: 2}},
		"a line not in the return":     {{LineNo: 2, Received: 1}},
	} {
		_, err = f.st.ReceiveReturn(ctx, lampRet.ID, seller, lines)
		wantCode(t, name, err, errs.Unprocessable)
	}
	// One of the two units came back, and goes back to stock.
	r, err = f.st.ReceiveReturn(ctx, lampRet.ID, store.ReturnParty{}, []store.ReceivedLine{{LineNo: 1, Received: 1, Restock: 1}})
	if err != nil || r.Status != store.ReturnReceived || r.Lines[0].ReceivedQuantity != 1 || r.Lines[0].RestockedQuantity != 1 {
		t.Fatalf("receive: %+v %v", r, err)
	}
	if after, _ := f.stock(f.lamp); after != before+1 {
		t.Errorf("stock %d after restocking one, want %d", after, before+1)
	}
	if f.returned(1) != 1 {
		t.Errorf("line 1 holds %d returned units after one of two came back, want 1", f.returned(1))
	}
	_, err = f.st.ReceiveReturn(ctx, lampRet.ID, seller, []store.ReceivedLine{{LineNo: 1, Received: 1}})
	wantCode(t, "receiving twice", err, errs.Conflict)

	// The rug's seller rejects: its unit is free to be asked for again.
	if r, err = f.st.DecideReturn(ctx, rugRet.ID, store.ReturnParty{SellerID: f.sellerB}, false, "worn", time.Hour); err != nil || r.Status != store.ReturnRejected || r.ShipBy != nil {
		t.Fatalf("reject: %+v %v", r, err)
	}
	if f.returned(2) != 0 {
		t.Errorf("a rejected return still holds %d units", f.returned(2))
	}
}

// TestReturnExpiryAndCancel: expiry and cancel release the units; expiry loses to a step taken first.
func TestReturnExpiryAndCancel(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	ctx := context.Background()
	one := store.NewReturnLine{LineNo: 1, Quantity: 1}
	a, _ := f.request(f.customer, testReturnWindow, one)
	b, _ := f.request(f.customer, testReturnWindow, one)
	c, err := f.request(f.customer, testReturnWindow, one)
	if err != nil || f.returned(1) != 3 {
		t.Fatalf("three requests: %v, %d held", err, f.returned(1))
	}
	if r, expired, err := f.st.ExpireReturn(ctx, a[0].ID); err != nil || !expired || r.Status != store.ReturnExpired {
		t.Errorf("expire a request: %+v %v %v", r, expired, err)
	}
	if r, err := f.st.CancelReturn(ctx, b[0].ID, f.customer); err != nil || r.Status != store.ReturnCanceled {
		t.Errorf("cancel: %+v %v", r, err)
	}
	seller := store.ReturnParty{SellerID: f.sellerA}
	if _, err := f.st.DecideReturn(ctx, c[0].ID, seller, true, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ShipReturn(ctx, c[0].ID, f.customer, "1Z"); err != nil {
		t.Fatal(err)
	}
	if r, expired, err := f.st.ExpireReturn(ctx, c[0].ID); err != nil || expired || r.Status != store.ReturnShipped {
		t.Errorf("expire a shipped return: %+v %v %v", r, expired, err)
	}
	if f.returned(1) != 1 {
		t.Errorf("%d units held, want the shipped return's 1", f.returned(1))
	}
}

// TestReturnRequestsRaceForUnits: concurrent requests never hold more units than the line has.
func TestReturnRequestsRaceForUnits(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.request(f.customer, testReturnWindow, store.NewReturnLine{LineNo: 1, Quantity: 1})
			if err != nil && !errs.Is(err, errs.Conflict) {
				t.Errorf("request: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				won++
			}
		}()
	}
	wg.Wait()
	if won != 3 || f.returned(1) != 3 || f.count(`SELECT count(*) FROM returns`) != 3 {
		t.Errorf("%d requests won, %d units held, want 3", won, f.returned(1))
	}
}

// TestReturnNoticesAndList: notices go to customer and seller once; lists are scoped and paged.
func TestReturnNoticesAndList(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	ctx := context.Background()
	var ids []string
	for range 3 {
		r, err := f.request(f.customer, testReturnWindow, store.NewReturnLine{LineNo: 1, Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r[0].ID)
	}
	for range 2 {
		if err := f.st.QueueReturnNotices(ctx, store.ReturnNotice{ReturnID: ids[0], Event: store.ReturnRequested}); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(`SELECT count(*) FROM notification_outbox WHERE kind IN ('return_requested', 'seller_return_requested')`); n != 2 {
		t.Errorf("%d notices, want one each for customer and seller", n)
	}
	if _, err := f.st.DecideReturn(ctx, ids[1], store.ReturnParty{}, false, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	list := func(filter store.ReturnFilter) []string {
		t.Helper()
		var out []string
		for {
			page, err := f.st.ListReturns(ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Items {
				out = append(out, r.ID)
			}
			if page.NextCursor == nil {
				return out
			}
			filter.Cursor = *page.NextCursor
		}
	}
	if got := list(store.ReturnFilter{CustomerID: f.customer, Limit: 2}); len(got) != 3 || got[0] != ids[2] {
		t.Errorf("customer's list %v, want 3 newest first", got)
	}
	if got := list(store.ReturnFilter{SellerID: f.sellerB}); len(got) != 0 {
		t.Errorf("seller B sees %v", got)
	}
	if got := list(store.ReturnFilter{Status: store.ReturnRejected}); len(got) != 1 || got[0] != ids[1] {
		t.Errorf("rejected %v", got)
	}
	if got := list(store.ReturnFilter{CustomerID: f.another}); len(got) != 0 {
		t.Errorf("another customer sees %v", got)
	}
	_, err := f.st.ListReturns(ctx, store.ReturnFilter{Cursor: "nonsense"})
	wantCode(t, "a bad cursor", err, errs.Invalid)
}
