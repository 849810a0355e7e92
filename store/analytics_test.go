package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"shopflow/store"
)

// analyticsBase is the first hour of the generated sales; they span analyticsDays days.
var analyticsBase = time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC) // a Wednesday: weeks straddle it

const analyticsDays = 17

// analyticsShop is a generated history: sales through the checkout (with discounts, some
// refunded later) and through ingest (several currencies, orders of several sellers, orders
// counted over two calls), and published reviews.
type analyticsShop struct {
	f        *orderFixture
	sellers  []string
	products map[string][]int64 // by currency
}

func newAnalyticsShop(t *testing.T, seed uint64) *analyticsShop {
	t.Helper()
	f := newOrderFixture(t, 8)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 14))
	third, err := f.st.CreateUser(ctx, store.NewUser{Email: "e@example.com", PasswordHash: "x", Role: store.RoleSeller, StoreName: "Vases"})
	if err != nil {
		t.Fatal(err)
	}
	s := &analyticsShop{f: f, sellers: []string{f.sellerA, f.sellerB, *third.SellerID}, products: map[string][]int64{}}
	for _, seller := range s.sellers {
		for _, cur := range []string{"USD", "EUR"} {
			for range 2 {
				s.products[cur] = append(s.products[cur], f.product(seller, "active", cur, 100+r.Int64N(900), 100000))
			}
		}
	}
	at := func() time.Time {
		return analyticsBase.Add(time.Duration(r.Int64N(analyticsDays*24*60)) * time.Minute)
	}
	s.checkoutOrders(r, at)
	s.ingestOrders(r, at)
	s.reviews(r, at)
	return s
}

// checkoutOrders places orders through the checkout with a random discount on each line, and
// refunds some of them later.
func (s *analyticsShop) checkoutOrders(r *rand.Rand, at func() time.Time) {
	f, ctx := s.f, context.Background()
	for i := range 24 {
		cur := []string{"USD", "EUR"}[r.IntN(2)]
		items := []store.OrderItem{}
		for _, k := range r.Perm(len(s.products[cur]))[:1+r.IntN(3)] {
			items = append(items, store.OrderItem{ProductID: s.products[cur][k], Quantity: 1 + r.IntN(4)})
		}
		no := f.newOrder(items...)
		no.IdempotencyKey = fmt.Sprintf("analytics-%d", i)
		o, _, err := f.st.CreateOrder(ctx, no)
		if err != nil {
			f.t.Fatal(err)
		}
		sold := at()
		f.exec(`UPDATE order_items SET discount_cents = floor(random() * quantity * unit_price_cents / 2) WHERE order_id = $1`, o.ID)
		f.exec(`UPDATE orders SET created_at = $2 WHERE id = $1`, o.ID, sold)
		if res, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
			f.t.Fatalf("reserve %s: %+v %v", o.ID, res, err)
		}
		if res, err := f.st.ConfirmOrder(ctx, o.ID); err != nil || !res.Placed {
			f.t.Fatalf("confirm %s: %+v %v", o.ID, res, err)
		}
		if r.IntN(3) == 0 {
			refunded := sold.Add(time.Duration(r.IntN(5*24*60)) * time.Minute)
			f.exec(`UPDATE orders SET status = 'refunded' WHERE id = $1`, o.ID)
			f.exec(`INSERT INTO order_events (order_id, status, created_at) VALUES ($1, 'refunded', $2)`, o.ID, refunded)
		}
	}
}

// ingestOrders reports orders of any products in three currencies; some orders repeat a
// product, some come in two calls, and every call is repeated (duplicates count once).
func (s *analyticsShop) ingestOrders(r *rand.Rand, at func() time.Time) {
	f, ctx := s.f, context.Background()
	all := append(append([]int64{}, s.products["USD"]...), s.products["EUR"]...)
	var first, second []store.SaleLine
	for i := range 80 {
		cur, when := []string{"USD", "EUR", "GBP"}[r.IntN(3)], at()
		var prev int64
		for line := 1; line <= 1+r.IntN(4); line++ {
			l := store.SaleLine{Source: "legacy", ExternalOrderID: fmt.Sprintf("L-%d", i), LineNo: line, OrderedAt: when,
				ProductID: all[r.IntN(len(all))], Quantity: 1 + r.IntN(5), UnitPriceCents: 50 + r.Int64N(2000), Currency: cur}
			if line > 1 && r.IntN(4) == 0 {
				l.ProductID = prev // the same product again in the order
			}
			prev = l.ProductID
			if line > 1 && r.IntN(3) == 0 {
				second = append(second, l)
			} else {
				first = append(first, l)
			}
		}
	}
	for _, lines := range [][]store.SaleLine{first, second, first} {
		if _, err := f.st.RecordSales(ctx, lines); err != nil {
			f.t.Fatal(err)
		}
	}
}

// reviews publishes (and leaves pending) reviews of random products by several customers.
func (s *analyticsShop) reviews(r *rand.Rand, at func() time.Time) {
	f, ctx := s.f, context.Background()
	all := append(append([]int64{}, s.products["USD"]...), s.products["EUR"]...)
	for i := range 6 {
		u, err := f.st.CreateUser(ctx, store.NewUser{Email: fmt.Sprintf("r%d@example.com", i), PasswordHash: "x", Role: store.RoleCustomer})
		if err != nil {
			f.t.Fatal(err)
		}
		for _, k := range r.Perm(len(all))[:4] {
			if r.IntN(4) == 0 {
				f.exec(`INSERT INTO reviews (product_id, customer_id, rating, title) VALUES ($1, $2, $3, 'Pending')`, all[k], u.ID, 1+r.IntN(5))
				continue
			}
			f.exec(`INSERT INTO reviews (product_id, customer_id, rating, title, status, published_at) VALUES ($1, $2, $3, 'Fine', 'published', $4)`,
				all[k], u.ID, 1+r.IntN(5), at())
		}
	}
}

// TestAnalyticsEqualsFacts: for every granularity, each seller's and the platform's figures
// equal an independent computation over the sales facts, the refund events and the reviews.
func TestAnalyticsEqualsFacts(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	s := newAnalyticsShop(t, seed)
	for _, g := range []store.Granularity{store.GranularityHour, store.GranularityDay, store.GranularityWeek} {
		from := g.Floor(analyticsBase.Add(-time.Hour))
		to := g.Floor(analyticsBase.Add((analyticsDays + 6) * 24 * time.Hour)) // refunds come up to 5 days later
		for _, seller := range append([]string{""}, s.sellers...) {
			q := store.AnalyticsQuery{SellerID: seller, From: from, To: to, Granularity: g, TopN: 1000}
			a, err := s.f.st.SalesAnalytics(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if want := g.Periods(from, to); len(a.Periods) != want {
				t.Fatalf("%s %q: %d periods, want %d", g, seller, len(a.Periods), want)
			}
			s.checkSeries(t, q, a)
			s.checkProducts(t, q, a.Products)
			if seller == "" {
				s.checkCategories(t, q, a.Categories)
			} else if a.Categories != nil || a.Conversion != nil {
				t.Errorf("seller %s sees platform figures: %+v %+v", seller, a.Categories, a.Conversion)
			}
			// TopN keeps the best: the head of the full list.
			q.TopN = 3
			top, err := s.f.st.SalesAnalytics(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if n := min(3, len(a.Products)); !reflect.DeepEqual(top.Products, a.Products[:n]) {
				t.Errorf("%s %q: top 3 %+v, want %+v", g, seller, top.Products, a.Products[:n])
			}
		}
	}
}

// factsFilter narrows the independent queries to a seller ($4), or to none when it is NULL.
const factsFilter = `($4::uuid IS NULL OR f.seller_id = $4::uuid)`

// productsFilter is factsFilter for the product list's query, whose seller is $3.
const productsFilter = `($3::uuid IS NULL OR f.seller_id = $3::uuid)`

func sellerParam(seller string) any {
	if seller == "" {
		return nil
	}
	return seller
}

// checkSeries compares every period's sales and rating with the facts and reviews.
func (s *analyticsShop) checkSeries(t *testing.T, q store.AnalyticsQuery, a store.Analytics) {
	t.Helper()
	rows, err := s.f.st.Pool.Query(context.Background(), `
		WITH sold AS (
			SELECT date_trunc($1::text, f.ordered_at, 'UTC') AS p, f.currency, sum(f.quantity) AS units,
			       count(DISTINCT (f.source, f.external_order_id)) AS orders,
			       sum(f.quantity * f.unit_price_cents) AS gross, sum(f.discount_cents) AS discount
			FROM sales_facts f WHERE f.ordered_at >= $2 AND f.ordered_at < $3 AND `+factsFilter+` GROUP BY 1, 2),
		refunded AS (
			SELECT date_trunc($1::text, e.created_at, 'UTC') AS p, f.currency, sum(f.quantity * f.unit_price_cents - f.discount_cents) AS refunds
			FROM order_events e JOIN sales_facts f ON f.source = 'shopflow' AND f.external_order_id = e.order_id::text
			WHERE e.status = 'refunded' AND e.created_at >= $2 AND e.created_at < $3 AND `+factsFilter+` GROUP BY 1, 2)
		SELECT p, currency::text, coalesce(units, 0)::bigint, coalesce(orders, 0)::bigint, coalesce(gross, 0)::bigint,
		       coalesce(discount, 0)::bigint, coalesce(refunds, 0)::bigint
		FROM sold FULL JOIN refunded USING (p, currency) ORDER BY 1, 2`, string(q.Granularity), q.From, q.To, sellerParam(q.SellerID))
	if err != nil {
		t.Fatal(err)
	}
	want := map[time.Time][]store.SalesFigures{}
	for rows.Next() {
		var p time.Time
		var f store.SalesFigures
		if err := rows.Scan(&p, &f.Currency, &f.Units, &f.Orders, &f.GrossCents, &f.DiscountCents, &f.RefundsCents); err != nil {
			t.Fatal(err)
		}
		f.NetCents = f.GrossCents - f.DiscountCents - f.RefundsCents
		want[p.UTC()] = append(want[p.UTC()], f)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	ratings := s.wantRatings(t, q)
	sold, rated := 0, 0
	for _, p := range a.Periods {
		w := want[p.Start]
		if w == nil {
			w = []store.SalesFigures{}
		}
		if !reflect.DeepEqual(p.Sales, w) {
			t.Errorf("%s %q period %s: sales %+v, want %+v", q.Granularity, q.SellerID, p.Start, p.Sales, w)
		}
		if r, ok := ratings[p.Start]; (p.Rating == nil) == ok || ok && (p.Rating.Count != r.Count || !near(p.Rating.Average, r.Average)) {
			t.Errorf("%s %q period %s: rating %+v, want %+v (present %v)", q.Granularity, q.SellerID, p.Start, p.Rating, r, ok)
		}
		if p.End != q.Granularity.Next(p.Start) || p.Start.Before(q.From) || !p.End.After(p.Start) {
			t.Errorf("%s: period %s-%s out of place", q.Granularity, p.Start, p.End)
		}
		sold += len(p.Sales)
		if p.Rating != nil {
			rated++
		}
		delete(want, p.Start)
	}
	if len(want) != 0 {
		t.Errorf("%s %q: periods with sales missing from the answer: %v", q.Granularity, q.SellerID, want)
	}
	if sold == 0 || rated == 0 && q.SellerID == "" {
		t.Errorf("%s %q: nothing sold or rated: the test proves nothing", q.Granularity, q.SellerID)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// wantRatings is the average and count of published reviews of the seller's products by the
// period they were published in.
func (s *analyticsShop) wantRatings(t *testing.T, q store.AnalyticsQuery) map[time.Time]store.PeriodRating {
	t.Helper()
	rows, err := s.f.st.Pool.Query(context.Background(), `
		SELECT date_trunc($1::text, r.published_at, 'UTC'), avg(r.rating)::float8, count(*)
		FROM reviews r JOIN products f ON f.id = r.product_id
		WHERE r.status = 'published' AND r.published_at >= $2 AND r.published_at < $3 AND `+factsFilter+`
		GROUP BY 1`, string(q.Granularity), q.From, q.To, sellerParam(q.SellerID))
	if err != nil {
		t.Fatal(err)
	}
	out := map[time.Time]store.PeriodRating{}
	for rows.Next() {
		var p time.Time
		var r store.PeriodRating
		if err := rows.Scan(&p, &r.Average, &r.Count); err != nil {
			t.Fatal(err)
		}
		out[p.UTC()] = r
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	return out
}

// checkProducts compares the product list with the facts, order included.
func (s *analyticsShop) checkProducts(t *testing.T, q store.AnalyticsQuery, got []store.ProductSales) {
	t.Helper()
	rows, err := s.f.st.Pool.Query(context.Background(), `
		WITH sold AS (
			SELECT f.product_id, f.currency, sum(f.quantity) AS units, count(DISTINCT (f.source, f.external_order_id)) AS orders,
			       sum(f.quantity * f.unit_price_cents) AS gross, sum(f.discount_cents) AS discount
			FROM sales_facts f WHERE f.ordered_at >= $1 AND f.ordered_at < $2 AND `+productsFilter+` GROUP BY 1, 2),
		refunded AS (
			SELECT f.product_id, f.currency, sum(f.quantity * f.unit_price_cents - f.discount_cents) AS refunds
			FROM order_events e JOIN sales_facts f ON f.source = 'shopflow' AND f.external_order_id = e.order_id::text
			WHERE e.status = 'refunded' AND e.created_at >= $1 AND e.created_at < $2 AND `+productsFilter+` GROUP BY 1, 2)
		SELECT x.product_id, p.name, x.currency::text, coalesce(units, 0)::bigint, coalesce(orders, 0)::bigint,
		       coalesce(gross, 0)::bigint, coalesce(discount, 0)::bigint, coalesce(refunds, 0)::bigint
		FROM (SELECT * FROM sold FULL JOIN refunded USING (product_id, currency)) x JOIN products p ON p.id = x.product_id
		ORDER BY 4 DESC, coalesce(gross, 0) - coalesce(discount, 0) - coalesce(refunds, 0) DESC, 1, 3`, q.From, q.To, sellerParam(q.SellerID))
	if err != nil {
		t.Fatal(err)
	}
	var want []store.ProductSales
	for rows.Next() {
		var p store.ProductSales
		if err := rows.Scan(&p.ProductID, &p.Name, &p.Currency, &p.Units, &p.Orders, &p.GrossCents, &p.DiscountCents, &p.RefundsCents); err != nil {
			t.Fatal(err)
		}
		p.NetCents = p.GrossCents - p.DiscountCents - p.RefundsCents
		want = append(want, p)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("%s %q: products\n got %+v\nwant %+v", q.Granularity, q.SellerID, got, want)
	}
}

// checkCategories compares the platform's category list with the facts.
func (s *analyticsShop) checkCategories(t *testing.T, q store.AnalyticsQuery, got []store.CategorySales) {
	t.Helper()
	rows, err := s.f.st.Pool.Query(context.Background(), `
		WITH sold AS (
			SELECT category_id, currency, sum(quantity) AS units, sum(quantity * unit_price_cents) AS gross, sum(discount_cents) AS discount
			FROM sales_facts WHERE ordered_at >= $1 AND ordered_at < $2 GROUP BY 1, 2),
		refunded AS (
			SELECT f.category_id, f.currency, sum(f.quantity * f.unit_price_cents - f.discount_cents) AS refunds
			FROM order_events e JOIN sales_facts f ON f.source = 'shopflow' AND f.external_order_id = e.order_id::text
			WHERE e.status = 'refunded' AND e.created_at >= $1 AND e.created_at < $2 GROUP BY 1, 2)
		SELECT x.category_id, c.name, x.currency::text, coalesce(units, 0)::bigint, coalesce(gross, 0)::bigint,
		       coalesce(discount, 0)::bigint, coalesce(refunds, 0)::bigint
		FROM (SELECT * FROM sold FULL JOIN refunded USING (category_id, currency)) x JOIN categories c ON c.id = x.category_id
		ORDER BY 3, coalesce(gross, 0) - coalesce(discount, 0) - coalesce(refunds, 0) DESC, 1`, q.From, q.To)
	if err != nil {
		t.Fatal(err)
	}
	var want []store.CategorySales
	for rows.Next() {
		var c store.CategorySales
		if err := rows.Scan(&c.CategoryID, &c.Name, &c.Currency, &c.Units, &c.GrossCents, &c.DiscountCents, &c.RefundsCents); err != nil {
			t.Fatal(err)
		}
		c.NetCents = c.GrossCents - c.DiscountCents - c.RefundsCents
		want = append(want, c)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("%s: categories\n got %+v\nwant %+v", q.Granularity, got, want)
	}
}

// TestAnalyticsRankAndConversion: a period's rank is the last ranking's in it with the period's
// best; a cart started and checked out converts, one left full does not.
func TestAnalyticsRankAndConversion(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for h, rank := range []int{5, 2, 3} {
		f.exec(`INSERT INTO seller_rank_history (seller_id, period_end, rank, of_sellers) VALUES ($1, $2, $3, 9)`,
			f.sellerA, day.Add(time.Duration(h+1)*time.Hour), rank)
	}
	a, err := f.st.SalesAnalytics(ctx, store.AnalyticsQuery{SellerID: f.sellerA, From: day, To: day.AddDate(0, 0, 2), Granularity: store.GranularityDay, TopN: 5})
	if err != nil {
		t.Fatal(err)
	}
	if r := a.Periods[0].Rank; r == nil || r.Rank != 3 || r.Best != 2 || r.Of != 9 || !r.At.Equal(day.Add(3*time.Hour)) || a.Periods[1].Rank != nil {
		t.Errorf("ranks %+v %+v, want last 3 of 9 at 03:00, best 2, then none", a.Periods[0].Rank, a.Periods[1].Rank)
	}
	p := f.product(f.sellerA, "active", "USD", 500, 100)
	for _, customer := range []string{f.customer, f.another} {
		if _, err := f.st.SetCartItem(ctx, customer, p, 1); err != nil {
			t.Fatal(err)
		}
	}
	o, _, err := f.st.CreateOrder(ctx, f.newOrder()) // the customer's cart
	if err != nil {
		t.Fatal(err)
	}
	if res, err := f.st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
		t.Fatalf("reserve: %+v %v", res, err)
	}
	if res, err := f.st.ConfirmOrder(ctx, o.ID); err != nil || !res.Placed {
		t.Fatalf("confirm: %+v %v", res, err)
	}
	now := time.Now().UTC()
	a, err = f.st.SalesAnalytics(ctx, store.AnalyticsQuery{From: store.GranularityDay.Floor(now).AddDate(0, 0, -1), To: store.GranularityDay.Floor(now).AddDate(0, 0, 1),
		Granularity: store.GranularityDay, TopN: 5})
	if err != nil {
		t.Fatal(err)
	}
	if c := a.Conversion; c == nil || c.CartsStarted != 2 || c.CartsConverted != 1 || c.Rate != 0.5 {
		t.Errorf("conversion %+v, want 1 of 2", c)
	}
}
