package demo

import (
	"context"
	"testing"

	"shopflow/store/storetest"
)

// The demo reviews are what the API would have let through: published, each by a shopper who
// has a delivered order of the product, one per shopper and product; and the products'
// ratings equal a recount of them.
func TestDemoReviewsAreVerifiedAndCounted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	if _, err := Seed(ctx, pool, quiet); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name  string
		query string // counts rows that break the rule
	}{
		{"every demo review is published by a buyer with a delivered order",
			`SELECT count(*) FROM reviews r WHERE r.status <> 'published' OR NOT EXISTS (
				SELECT 1 FROM orders o JOIN order_items i ON i.order_id = o.id
				WHERE o.customer_id = r.customer_id AND i.product_id = r.product_id AND o.status = 'delivered')`},
		{"every reviewed product's rating equals a recount",
			`SELECT count(*) FROM (SELECT product_id, count(*) AS n, round(avg(rating), 2) AS avg,
				count(*) FILTER (WHERE rating = 5) AS fives FROM reviews GROUP BY product_id) rc
			 LEFT JOIN product_search_stats st USING (product_id)
			 WHERE st.rating_count IS DISTINCT FROM rc.n::int OR st.rating_avg IS DISTINCT FROM rc.avg
			    OR st.rating_5 IS DISTINCT FROM rc.fives::int`},
	}
	for _, c := range checks {
		var bad int
		if err := pool.QueryRow(ctx, c.query).Scan(&bad); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if bad != 0 {
			t.Errorf("%s: %d rows break it", c.name, bad)
		}
	}
	var n, rated int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM reviews), (SELECT count(*) FROM product_search_stats WHERE rating_count > 0)`).
		Scan(&n, &rated); err != nil {
		t.Fatal(err)
	}
	if n != len(reviews) || rated < 3 {
		t.Errorf("%d reviews over %d rated products, want all %d reviews over a few products", n, rated, len(reviews))
	}
}
