package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/errs"
	"shopflow/store"
	"shopflow/store/storetest"
)

// orderFixture is a fresh database with two sellers, two customers and a category.
type orderFixture struct {
	t                 *testing.T
	st                *store.Store
	sellerA, sellerB  string
	customer, another string
	category          int64
}

func newOrderFixture(t *testing.T, maxConns int) *orderFixture {
	t.Helper()
	ctx := context.Background()
	u, err := url.Parse(storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", fmt.Sprint(maxConns))
	u.RawQuery = q.Encode()
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	f := &orderFixture{t: t, st: store.New(pool)}
	user := func(email, role, storeName string) store.User {
		u, err := f.st.CreateUser(ctx, store.NewUser{Email: email, PasswordHash: "x", Role: role, StoreName: storeName})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.sellerA = *user("a@example.com", store.RoleSeller, "Lamps").SellerID
	f.sellerB = *user("b@example.com", store.RoleSeller, "Rugs").SellerID
	f.customer = user("c@example.com", store.RoleCustomer, "").ID
	f.another = user("d@example.com", store.RoleCustomer, "").ID
	if err := pool.QueryRow(ctx, `INSERT INTO categories (name, slug) VALUES ('Home', 'home') RETURNING id`).Scan(&f.category); err != nil {
		t.Fatal(err)
	}
	return f
}

// product inserts a product of seller with onHand units in stock.
func (f *orderFixture) product(seller, status, currency string, priceCents int64, onHand int) int64 {
	f.t.Helper()
	ctx := context.Background()
	var id int64
	err := f.st.Pool.QueryRow(ctx, `
		INSERT INTO products (seller_id, category_id, name, price_cents, currency, status)
		VALUES ($1, $2, 'Thing', $3, $4, $5) RETURNING id`, seller, f.category, priceCents, currency, status).Scan(&id)
	if err != nil {
		f.t.Fatal(err)
	}
	f.exec(`INSERT INTO inventory (product_id, on_hand) VALUES ($1, $2)`, id, onHand)
	return id
}

func (f *orderFixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.st.Pool.Exec(context.Background(), sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

func (f *orderFixture) count(sql string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.st.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

var testAddress = store.ShippingAddress{Name: "Casey Doe", Line1: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE"}

// newOrder is a checkout of items (nil: the cart) by the fixture's customer under a fresh key.
func (f *orderFixture) newOrder(items ...store.OrderItem) store.NewOrder {
	return store.NewOrder{CustomerID: f.customer, IdempotencyKey: "key-" + fmt.Sprint(time.Now().UnixNano()),
		Items: items, PaymentMethod: "pm_card_visa", ShippingAddress: testAddress}
}

// placed creates an order of items and moves it to placed the way the saga does.
func (f *orderFixture) placed(items ...store.OrderItem) store.Order {
	f.t.Helper()
	ctx := context.Background()
	o, _, err := f.st.CreateOrder(ctx, f.newOrder(items...))
	if err != nil {
		f.t.Fatal(err)
	}
	if res, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		f.t.Fatalf("reserve %s: %+v %v", o.ID, res, err)
	}
	if res, err := f.st.ConfirmOrder(ctx, o.ID); err != nil || !res.Placed {
		f.t.Fatalf("confirm %s: %+v %v", o.ID, res, err)
	}
	return o
}

func TestCreateOrderPricesFromDatabase(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	lamp := f.product(f.sellerA, "active", "EUR", 1999, 5)
	rug := f.product(f.sellerB, "active", "EUR", 500, 5)

	o, replayed, err := f.st.CreateOrder(ctx, f.newOrder(store.OrderItem{ProductID: rug, Quantity: 3}, store.OrderItem{ProductID: lamp, Quantity: 1}))
	if err != nil || replayed {
		t.Fatalf("create: replayed %v, %v", replayed, err)
	}
	if o.Status != store.OrderPending || o.CancelReason != nil || o.Currency != "EUR" || o.TotalCents != 3*500+1999 ||
		o.CustomerID != f.customer || o.PaymentMethod != "pm_card_visa" || o.ShippingAddress != testAddress || o.Payment != nil {
		t.Errorf("order: %+v", o)
	}
	want := []store.OrderLine{
		{LineNo: 1, ProductID: rug, SellerID: f.sellerB, Name: "Thing", Quantity: 3, UnitPriceCents: 500, LineTotalCents: 1500, Currency: "EUR", Fulfilment: "pending"},
		{LineNo: 2, ProductID: lamp, SellerID: f.sellerA, Name: "Thing", Quantity: 1, UnitPriceCents: 1999, LineTotalCents: 1999, Currency: "EUR", Fulfilment: "pending"},
	}
	if !slices.Equal(o.Lines, want) {
		t.Errorf("lines:\n got %+v\nwant %+v", o.Lines, want)
	}
	if len(o.Timeline) != 1 || o.Timeline[0].Status != store.OrderPending || o.Timeline[0].Note != "order received" {
		t.Errorf("timeline: %+v", o.Timeline)
	}
	// A later price change does not touch the order: lines keep the price at checkout.
	f.exec(`UPDATE products SET price_cents = 1 WHERE id = $1`, lamp)
	got, err := f.st.OrderByID(ctx, o.ID)
	if err != nil || got.TotalCents != o.TotalCents || got.Lines[1].UnitPriceCents != 1999 {
		t.Errorf("after repricing: %+v %v", got, err)
	}
	// No stock was held: that is the saga's job.
	if n := f.count(`SELECT coalesce(sum(reserved), 0) FROM inventory`); n != 0 {
		t.Errorf("checkout reserved %d units", n)
	}
}

func TestCreateOrderFromCartEmptiesIt(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	first := f.product(f.sellerA, "active", "USD", 300, 5)
	second := f.product(f.sellerB, "active", "USD", 700, 5)
	for _, id := range []int64{first, second} {
		if _, err := f.st.SetCartItem(ctx, f.customer, id, 2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.SetCartItem(ctx, f.another, first, 1); err != nil {
		t.Fatal(err)
	}
	o, _, err := f.st.CreateOrder(ctx, f.newOrder())
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Lines) != 2 || o.Lines[0].ProductID != first || o.Lines[1].ProductID != second || o.TotalCents != 2000 {
		t.Errorf("order from cart: %+v", o)
	}
	if c, _ := f.st.CartOf(ctx, f.customer); len(c.Items) != 0 {
		t.Errorf("cart not emptied: %+v", c.Items)
	}
	if c, _ := f.st.CartOf(ctx, f.another); len(c.Items) != 1 {
		t.Errorf("another customer's cart changed: %+v", c.Items)
	}
}

// TestCreateOrderRejects proves every refused checkout leaves no order and the cart as it was.
func TestCreateOrderRejects(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	usd := f.product(f.sellerA, "active", "USD", 100, 5)
	eur := f.product(f.sellerA, "active", "EUR", 100, 5)
	draft := f.product(f.sellerA, "draft", "USD", 100, 5)
	archived := f.product(f.sellerA, "archived", "USD", 100, 5)
	if _, err := f.st.SetCartItem(ctx, f.another, usd, 2); err != nil {
		t.Fatal(err)
	}
	item := func(id int64) store.OrderItem { return store.OrderItem{ProductID: id, Quantity: 1} }

	cases := []struct {
		name      string
		order     store.NewOrder
		want      errs.Code
		productID any // details.product_id
	}{
		{"unknown product is a validation error", f.newOrder(item(usd), item(usd+1000)), errs.Unprocessable, usd + 1000},
		{"draft product is not for sale", f.newOrder(item(draft)), errs.Conflict, draft},
		{"archived product is not for sale", f.newOrder(item(usd), item(archived)), errs.Conflict, archived},
		{"mixed currencies are a validation error", f.newOrder(item(usd), item(eur)), errs.Unprocessable, eur},
		{"no cart: another customer's is never used", f.newOrder(), errs.Unprocessable, nil},
	}
	run := func() {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := f.st.CreateOrder(ctx, tc.order)
				if got := errs.CodeOf(err); got != tc.want {
					t.Fatalf("code %q (%v), want %q", got, err, tc.want)
				}
				var e *errs.Error
				errors.As(err, &e)
				if tc.productID != nil && e.Details["product_id"] != tc.productID {
					t.Errorf("details %v, want product_id %v", e.Details, tc.productID)
				}
			})
		}
	}
	run()
	// Again with a cart that exists but is empty.
	if _, err := f.st.SetCartItem(ctx, f.customer, usd, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ClearCart(ctx, f.customer); err != nil {
		t.Fatal(err)
	}
	run()
	if n := f.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders written by refused checkouts", n)
	}
	if c, _ := f.st.CartOf(ctx, f.another); len(c.Items) != 1 || c.Items[0].Quantity != 2 {
		t.Errorf("cart changed: %+v", c.Items)
	}
}

func TestCreateOrderIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	a := f.product(f.sellerA, "active", "USD", 100, 5)
	b := f.product(f.sellerA, "active", "USD", 200, 5)
	req := f.newOrder(store.OrderItem{ProductID: a, Quantity: 1}, store.OrderItem{ProductID: b, Quantity: 2})
	first, replayed, err := f.st.CreateOrder(ctx, req)
	if err != nil || replayed {
		t.Fatalf("first: %v %v", replayed, err)
	}

	reordered := req
	reordered.Items = []store.OrderItem{req.Items[1], req.Items[0]}
	otherAddress := req
	otherAddress.ShippingAddress.City = "Hamburg"
	otherQuantity := req
	otherQuantity.Items = []store.OrderItem{req.Items[0], {ProductID: b, Quantity: 3}}
	cart := req
	cart.Items = nil
	otherCustomer := req
	otherCustomer.CustomerID = f.another

	cases := []struct {
		name     string
		order    store.NewOrder
		sameID   bool
		wantCode errs.Code
	}{
		{"the same request answers with the same order", req, true, ""},
		{"the same goods in another order are the same request", reordered, true, ""},
		{"another address is another request", otherAddress, false, errs.Conflict},
		{"another quantity is another request", otherQuantity, false, errs.Conflict},
		{"the cart instead of items is another request", cart, false, errs.Conflict},
		{"keys are per customer", otherCustomer, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, replayed, err := f.st.CreateOrder(ctx, tc.order)
			if got := errs.CodeOf(err); got != tc.wantCode {
				t.Fatalf("code %q (%v), want %q", got, err, tc.wantCode)
			}
			if err != nil {
				return
			}
			if (o.ID == first.ID) != tc.sameID || replayed != tc.sameID {
				t.Errorf("order %s replayed %v; first was %s, want same %v", o.ID, replayed, first.ID, tc.sameID)
			}
		})
	}
	if n := f.count(`SELECT count(*) FROM orders WHERE customer_id = $1`, f.customer); n != 1 {
		t.Errorf("%d orders for one key", n)
	}
}

// TestCreateOrderConcurrentSameKey races identical requests with one key, from items and from
// the cart: exactly one order, and every request gets it.
func TestCreateOrderConcurrentSameKey(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 20)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 5)
	if _, err := f.st.SetCartItem(ctx, f.customer, p, 2); err != nil {
		t.Fatal(err)
	}
	for _, source := range []string{"items", "cart"} {
		req := f.newOrder(store.OrderItem{ProductID: p, Quantity: 1})
		if source == "cart" {
			req.Items = nil
		}
		const n = 20
		ids := make([]string, n)
		errsOut := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				o, _, err := f.st.CreateOrder(ctx, req)
				ids[i], errsOut[i] = o.ID, err
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errsOut {
			if err != nil {
				t.Errorf("%s request %d: %v", source, i, err)
			} else if ids[i] != ids[0] {
				t.Errorf("%s request %d: order %s, request 0 got %s", source, i, ids[i], ids[0])
			}
		}
		if got := f.count(`SELECT count(*) FROM orders WHERE idempotency_key = $1`, req.IdempotencyKey); got != 1 {
			t.Errorf("%s: %d orders for one key", source, got)
		}
	}
}

// TestOrderCheckoutLeavesStockToTheSaga runs 200 checkouts for 10 units: all are accepted,
// and the saga's own steps then place 10 and cancel 190 as out_of_stock, never overselling.
func TestOrderCheckoutLeavesStockToTheSaga(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 16)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 10)

	const n = 200
	ids := make([]string, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	for i := range n {
		wg.Go(func() {
			req := f.newOrder(store.OrderItem{ProductID: p, Quantity: 1})
			req.IdempotencyKey = fmt.Sprintf("key-%d", i)
			o, _, err := f.st.CreateOrder(ctx, req)
			if err == nil {
				ids[i] = o.ID
				var res store.ReserveResult
				if res, err = f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err == nil {
					if res.Reserved {
						_, err = f.st.ConfirmOrder(ctx, o.ID)
					} else {
						_, err = f.st.ReleaseOrder(ctx, o.ID, store.ReasonOutOfStock)
					}
				}
			}
			if err != nil {
				mu.Lock()
				failures = append(failures, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range failures {
		t.Error(err)
	}
	placed := f.count(`SELECT count(*) FROM orders WHERE status = 'placed'`)
	canceled := f.count(`SELECT count(*) FROM orders WHERE status = 'canceled' AND cancel_reason = 'out_of_stock'`)
	if placed != 10 || canceled != 190 {
		t.Errorf("placed %d, canceled out_of_stock %d; want 10 and 190", placed, canceled)
	}
	if onHand, reserved := f.count(`SELECT on_hand FROM inventory WHERE product_id = $1`, p),
		f.count(`SELECT reserved FROM inventory WHERE product_id = $1`, p); onHand != 0 || reserved != 0 {
		t.Errorf("inventory on_hand %d reserved %d, want 0 and 0", onHand, reserved)
	}
}

// TestShipAndDeliverOrderLines walks one two-seller order through fulfilment, step by step.
func TestShipAndDeliverOrderLines(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	lamp := f.product(f.sellerA, "active", "USD", 100, 5)
	rug := f.product(f.sellerB, "active", "USD", 200, 5)
	o := f.placed(store.OrderItem{ProductID: lamp, Quantity: 1}, store.OrderItem{ProductID: rug, Quantity: 1})
	other, err := f.st.CreateUser(ctx, store.NewUser{Email: "x@example.com", PasswordHash: "x", Role: store.RoleSeller, StoreName: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	strangerSeller := *other.SellerID

	ship, deliver := f.st.ShipOrder, f.st.DeliverOrder
	steps := []struct {
		name        string
		step        func(ctx context.Context, orderID, sellerID string) (store.Order, error)
		seller      string
		want        errs.Code
		status      string // the order's status afterwards
		fulfilments []string
	}{
		{"delivering before shipping is a conflict", deliver, "", errs.Conflict, "placed", []string{"pending", "pending"}},
		{"a seller with no line in the order does not see it", ship, strangerSeller, errs.NotFound, "placed", []string{"pending", "pending"}},
		{"seller A ships only its own line", ship, f.sellerA, "", "placed", []string{"shipped", "pending"}},
		{"seller A cannot ship twice", ship, f.sellerA, errs.Conflict, "placed", []string{"shipped", "pending"}},
		{"seller A delivers its line while B's is pending", deliver, f.sellerA, "", "placed", []string{"delivered", "pending"}},
		{"seller B cannot deliver before shipping", deliver, f.sellerB, errs.Conflict, "placed", []string{"delivered", "pending"}},
		{"seller B's shipment ships the order", ship, f.sellerB, "", "shipped", []string{"delivered", "shipped"}},
		{"an admin cannot ship a shipped order", ship, "", errs.Conflict, "shipped", []string{"delivered", "shipped"}},
		{"an admin delivers the rest: the order is delivered", deliver, "", "", "delivered", []string{"delivered", "delivered"}},
		{"delivering twice is a conflict", deliver, "", errs.Conflict, "delivered", []string{"delivered", "delivered"}},
	}
	for _, s := range steps {
		_, err := s.step(ctx, o.ID, s.seller)
		if got := errs.CodeOf(err); got != s.want {
			t.Fatalf("%s: code %q (%v), want %q", s.name, got, err, s.want)
		}
		got, err := f.st.OrderByID(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		fulfilments := []string{got.Lines[0].Fulfilment, got.Lines[1].Fulfilment}
		if got.Status != s.status || !slices.Equal(fulfilments, s.fulfilments) {
			t.Fatalf("%s: order %s lines %v, want %s %v", s.name, got.Status, fulfilments, s.status, s.fulfilments)
		}
	}
	got, _ := f.st.OrderByID(ctx, o.ID)
	var statuses []string
	for _, ev := range got.Timeline {
		statuses = append(statuses, ev.Status)
	}
	wantTail := []string{"placed", "lines_shipped", "lines_delivered", "shipped", "delivered"}
	if len(statuses) < len(wantTail) || !slices.Equal(statuses[len(statuses)-len(wantTail):], wantTail) {
		t.Errorf("timeline %v, want it to end with %v", statuses, wantTail)
	}
	if n := f.count(`SELECT count(*) FROM notification_outbox WHERE kind IN ('order_shipped', 'order_delivered')`); n != 2 {
		t.Errorf("%d shipped/delivered notifications, want 2", n)
	}
}

func TestShipOrderNotPlaced(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 100, 5)
	pending, _, err := f.st.CreateOrder(ctx, f.newOrder(store.OrderItem{ProductID: p, Quantity: 1}))
	if err != nil {
		t.Fatal(err)
	}
	canceled, _, err := f.st.CreateOrder(ctx, f.newOrder(store.OrderItem{ProductID: p, Quantity: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ReleaseOrder(ctx, canceled.ID, store.ReasonCanceledByUser); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		id   string
		want errs.Code
	}{
		{"a pending order cannot ship", pending.ID, errs.Conflict},
		{"a canceled order cannot ship", canceled.ID, errs.Conflict},
		{"an unknown order is not found", "00000000-0000-4000-8000-000000000000", errs.NotFound},
	} {
		if _, err := f.st.ShipOrder(ctx, tc.id, ""); errs.CodeOf(err) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	if n := f.count(`SELECT count(*) FROM order_items WHERE fulfilment <> 'pending'`); n != 0 {
		t.Errorf("%d lines moved by refused shipments", n)
	}
}

func TestListOrdersScopesAndPages(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	lamp := f.product(f.sellerA, "active", "USD", 100, 50)
	rug := f.product(f.sellerB, "active", "USD", 200, 50)
	var mine []string // newest first
	for i := range 5 {
		items := []store.OrderItem{{ProductID: lamp, Quantity: 1}}
		if i%2 == 0 {
			items = append(items, store.OrderItem{ProductID: rug, Quantity: 1})
		}
		o, _, err := f.st.CreateOrder(ctx, f.newOrder(items...))
		if err != nil {
			t.Fatal(err)
		}
		mine = append([]string{o.ID}, mine...)
	}
	theirs := f.newOrder(store.OrderItem{ProductID: rug, Quantity: 1})
	theirs.CustomerID = f.another
	other, _, err := f.st.CreateOrder(ctx, theirs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ReleaseOrder(ctx, mine[0], store.ReasonCanceledByUser); err != nil {
		t.Fatal(err)
	}

	all := func(filter store.OrderFilter) []string {
		t.Helper()
		var ids []string
		for page := 0; ; page++ {
			p, err := f.st.ListOrders(ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range p.Items {
				ids = append(ids, o.ID)
			}
			if p.NextCursor == nil || page > 10 {
				return ids
			}
			filter.Cursor = *p.NextCursor
		}
	}
	cases := []struct {
		name   string
		filter store.OrderFilter
		want   []string
	}{
		{"a customer's orders, newest first, over pages", store.OrderFilter{CustomerID: f.customer, Limit: 2}, mine},
		{"a seller's orders: those with its lines", store.OrderFilter{SellerID: f.sellerB, Limit: 2}, []string{other.ID, mine[0], mine[2], mine[4]}},
		{"by status", store.OrderFilter{Status: store.OrderCanceled}, []string{mine[0]}},
		{"everything", store.OrderFilter{Limit: 100}, append([]string{other.ID}, mine...)},
	}
	for _, tc := range cases {
		if got := all(tc.filter); !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, tc.want)
		}
	}

	first, err := f.st.ListOrders(ctx, store.OrderFilter{CustomerID: f.customer, Limit: 1})
	if err != nil || first.NextCursor == nil {
		t.Fatalf("first page: %+v %v", first, err)
	}
	for _, tc := range []struct {
		name   string
		filter store.OrderFilter
	}{
		{"garbage cursor", store.OrderFilter{Cursor: "!!!"}},
		{"cursor from another list", store.OrderFilter{CustomerID: f.another, Cursor: *first.NextCursor}},
	} {
		if _, err := f.st.ListOrders(ctx, tc.filter); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v, want invalid", tc.name, err)
		}
	}
}

func TestOrderForSeller(t *testing.T) {
	t.Parallel()
	o := store.Order{TotalCents: 700, PaymentMethod: "pm_card_visa", Payment: &store.OrderPayment{AmountCents: 700},
		Lines: []store.OrderLine{{LineNo: 1, SellerID: "a", LineTotalCents: 300}, {LineNo: 2, SellerID: "b", LineTotalCents: 400}}}
	v := o.ForSeller("b")
	if len(v.Lines) != 1 || v.Lines[0].LineNo != 2 || v.TotalCents != 400 || v.Payment != nil || v.PaymentMethod != "" {
		t.Errorf("seller b's view: %+v", v)
	}
	if o.HasSeller("c") || !o.HasSeller("a") || len(o.Lines) != 2 || o.TotalCents != 700 {
		t.Errorf("HasSeller or the original changed: %+v", o)
	}
}
