package store_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"shopflow/store"
)

// recsScratch is an independent computation of the window's counts from the raw sales facts:
// an order is dated by its earliest line, and counts when that day is on or after start.
const recsScratch = `
	WITH o AS (
		SELECT source, external_order_id, min((ordered_at AT TIME ZONE 'UTC')::date) AS day,
		       array_agg(DISTINCT product_id) AS ps
		FROM sales_facts GROUP BY 1, 2 HAVING min((ordered_at AT TIME ZONE 'UTC')::date) >= $1::date)`

// recsDiff counts the rows in which the incremental counts and the scratch computation differ.
func recsDiff(t *testing.T, f *orderFixture, start time.Time) (items, pairs, orders int) {
	t.Helper()
	items = f.count(recsScratch+`, s AS (SELECT p, count(*) AS n FROM o, unnest(ps) p GROUP BY p)
		SELECT count(*) FROM ((SELECT * FROM s EXCEPT SELECT product_id, orders FROM recs_items)
		UNION ALL (SELECT product_id, orders FROM recs_items EXCEPT SELECT * FROM s)) d`, start)
	pairs = f.count(recsScratch+`, s AS (
			SELECT a, b, count(*) AS n FROM o, unnest(ps) a, unnest(ps) b WHERE a < b GROUP BY a, b)
		SELECT count(*) FROM ((SELECT * FROM s EXCEPT SELECT product_a, product_b, orders FROM recs_pairs)
		UNION ALL (SELECT product_a, product_b, orders FROM recs_pairs EXCEPT SELECT * FROM s)) d`, start)
	orders = f.count(recsScratch+`, s AS (SELECT source, external_order_id, day FROM o)
		SELECT count(*) FROM ((SELECT * FROM s EXCEPT SELECT source, external_order_id, day FROM recs_orders)
		UNION ALL (SELECT source, external_order_id, day FROM recs_orders EXCEPT SELECT * FROM s)) d`, start)
	return items, pairs, orders
}

// recsChanged lists the products whose scratch counts differ between two snapshots.
func recsSnapshot(t *testing.T, f *orderFixture, start time.Time) map[string]int64 {
	t.Helper()
	rows, err := f.st.Pool.Query(context.Background(), recsScratch+`
		SELECT 'i:' || p, count(*) FROM o, unnest(ps) p GROUP BY p
		UNION ALL
		SELECT 'p:' || a || ':' || b, count(*) FROM o, unnest(ps) a, unnest(ps) b WHERE a < b GROUP BY a, b`, start)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

// TestRecsIncrementalEqualsScratch feeds sales in steps while the window moves forward (orders
// leave it), with orders whose lines arrive over several steps, some dated earlier than the
// first lines, counted line by line or (every fifth step) by a rebuild; after each step the counts equal a computation from scratch over the same facts,
// and every product whose counts changed is marked for republishing.
func TestRecsIncrementalEqualsScratch(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	var products []int64
	for range 10 {
		products = append(products, f.product(f.sellerA, "active", "USD", 100, 100))
	}
	// A checkout order counts like any other source.
	f.placed(store.OrderItem{ProductID: products[0], Quantity: 1}, store.OrderItem{ProductID: products[1], Quantity: 1})

	rng := rand.New(rand.NewPCG(1, 14))
	day0 := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -40)
	const windowDays = 7
	var held []store.SaleLine // second halves of split orders, submitted a step later
	for step := range 30 {
		asOf := day0.AddDate(0, 0, step)
		lines := held
		held = nil
		for o := range 12 {
			id := fmt.Sprintf("S%d-O%d", step, o)
			at := asOf.Add(time.Duration(rng.IntN(24)) * time.Hour)
			n := 1 + rng.IntN(4)
			for l := range n {
				line := store.SaleLine{Source: []string{"legacy", "feed"}[o%2], ExternalOrderID: id, LineNo: l + 1, OrderedAt: at,
					ProductID: products[rng.IntN(4)*rng.IntN(3)], Quantity: 1, UnitPriceCents: 100, Currency: "USD"}
				if l > 0 && o%3 == 0 {
					// Arrives next step, sometimes dated a day before the order's first lines.
					line.OrderedAt = at.AddDate(0, 0, -rng.IntN(2))
					held = append(held, line)
					continue
				}
				lines = append(lines, line)
			}
		}
		before := recsSnapshot(t, f, recsStart(asOf, windowDays))
		if _, err := f.st.RecordSales(ctx, lines); err != nil {
			t.Fatal(err)
		}
		start := recsStart(asOf, windowDays)
		if _, err := f.st.ExpireRecsOrders(ctx, start); err != nil {
			t.Fatal(err)
		}
		blocks, err := f.st.RecsPendingBlocks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if step%5 == 4 {
			// Now and then the set-based rebuild over what is counted, as after a long stop.
			if _, err := f.st.RebuildRecsCounts(ctx, start, func(string) {}); err != nil {
				t.Fatal(err)
			}
		}
		for from := int64(0); from < blocks; from++ { // a block a step, so orders split across steps too
			if _, err := f.st.CountRecsSales(ctx, start, from, from+1); err != nil {
				t.Fatal(err)
			}
		}
		if i, p, o := recsDiff(t, f, start); i+p+o != 0 {
			t.Fatalf("step %d: %d item, %d pair and %d order rows differ from scratch", step, i, p, o)
		}
		after := recsSnapshot(t, f, start)
		for _, id := range changedProducts(before, after) {
			if f.count(`SELECT count(*) FROM recs_dirty WHERE product_id = $1`, id) != 1 {
				t.Fatalf("step %d: product %d changed but is not marked", step, id)
			}
		}
		f.exec(`DELETE FROM recs_dirty`)
	}
	if f.count(`SELECT count(*) FROM recs_pending`) != 0 {
		t.Fatal("pending sales left after counting")
	}
	if f.count(`SELECT count(*) FROM recs_pairs`) == 0 || f.count(`SELECT count(*) FROM sales_facts`) <= f.count(`SELECT sum(cardinality(products)) FROM recs_orders`) {
		t.Fatal("the test did not exercise pairs and expiry")
	}
}

// TestRecsRerunCountsNothingTwice: counting again, and expiring to an earlier start, change nothing.
func TestRecsRerunCountsNothingTwice(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	a, b := f.product(f.sellerA, "active", "USD", 100, 5), f.product(f.sellerA, "active", "USD", 100, 5)
	now := time.Now().UTC()
	if _, err := f.st.RecordSales(ctx, []store.SaleLine{
		{Source: "x", ExternalOrderID: "1", LineNo: 1, OrderedAt: now, ProductID: a, Quantity: 1, Currency: "USD"},
		{Source: "x", ExternalOrderID: "1", LineNo: 2, OrderedAt: now, ProductID: b, Quantity: 1, Currency: "USD"},
	}); err != nil {
		t.Fatal(err)
	}
	start := recsStart(now, 3)
	for range 2 {
		blocks, err := f.st.RecsPendingBlocks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.CountRecsSales(ctx, start, 0, blocks); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.ExpireRecsOrders(ctx, start.AddDate(0, 0, -5)); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(`SELECT orders::int FROM recs_pairs WHERE product_a = $1 AND product_b = $2`, min(a, b), max(a, b)); n != 1 {
		t.Fatalf("pair counted %d times, want 1", n)
	}
	if n := f.count(`SELECT count(*) FROM recs_state WHERE window_start = $1`, start); n != 1 {
		t.Fatal("an earlier start moved the window back")
	}
}

// TestAlsoBoughtLists: cosine ranking (a bestseller bought with everything ranks below a
// product bought especially with the owner), minimum support, length, and no archived or
// out-of-stock product.
func TestAlsoBoughtLists(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := func(status string, onHand int) int64 { return f.product(f.sellerA, status, "USD", 100, onHand) }
	owner, best, niche, rare, archived, empty, other := p("active", 5), p("active", 5), p("active", 5), p("active", 5), p("archived", 5), p("active", 0), p("active", 5)
	var lines []store.SaleLine
	order := 0
	buy := func(times int, ids ...int64) {
		for range times {
			order++
			for i, id := range ids {
				lines = append(lines, store.SaleLine{Source: "t", ExternalOrderID: fmt.Sprint(order), LineNo: i + 1,
					OrderedAt: time.Now(), ProductID: id, Quantity: 1, Currency: "USD"})
			}
		}
	}
	buy(3, owner, niche, archived, empty)
	buy(4, owner, best)
	buy(40, best, other)
	buy(1, owner, rare)
	if _, err := f.st.RecordSales(ctx, lines); err != nil {
		t.Fatal(err)
	}
	blocks, err := f.st.RecsPendingBlocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CountRecsSales(ctx, recsStart(time.Now(), 30), 0, blocks); err != nil {
		t.Fatal(err)
	}
	rows, err := f.st.AlsoBoughtLists(ctx, []int64{owner, archived, best}, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	// owner: niche (3/sqrt(8*3)=0.61) beats best (4/sqrt(8*44)=0.21); length 1; archived owns none.
	want := []store.AlsoBoughtRow{
		{ProductID: owner, OtherID: niche, Score: 3 / math.Sqrt(8*3), Support: 3},
		{ProductID: best, OtherID: other, Score: 40 / math.Sqrt(44*40), Support: 40},
	}
	slices.SortFunc(want, func(a, b store.AlsoBoughtRow) int { return int(a.ProductID - b.ProductID) })
	if len(rows) != len(want) {
		t.Fatalf("lists %+v, want %+v", rows, want)
	}
	for i := range rows {
		if rows[i].ProductID != want[i].ProductID || rows[i].OtherID != want[i].OtherID || rows[i].Support != want[i].Support ||
			math.Abs(rows[i].Score-want[i].Score) > 1e-9 {
			t.Fatalf("lists %+v, want %+v", rows, want)
		}
	}
	full, err := f.st.AlsoBoughtLists(ctx, []int64{owner}, 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range full {
		if r.OtherID == archived || r.OtherID == empty || r.OtherID == rare {
			t.Fatalf("owner's list holds %d (archived, out of stock or under support): %+v", r.OtherID, full)
		}
	}
	if len(full) != 2 {
		t.Fatalf("owner's list %+v, want niche and best", full)
	}
}

func recsStart(asOf time.Time, days int) time.Time {
	return asOf.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
}

func changedProducts(before, after map[string]int64) []int64 {
	seen := map[int64]bool{}
	mark := func(k string) {
		var a, b int64
		if n, _ := fmt.Sscanf(k, "p:%d:%d", &a, &b); n == 2 {
			seen[a], seen[b] = true, true
		} else if n, _ := fmt.Sscanf(k, "i:%d", &a); n == 1 {
			seen[a] = true
		}
	}
	for k, v := range before {
		if after[k] != v {
			mark(k)
		}
	}
	for k, v := range after {
		if before[k] != v {
			mark(k)
		}
	}
	out := make([]int64, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	return out
}
