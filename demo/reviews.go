package demo

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// shopper is a demo customer who bought and reviewed demo products.
type shopper struct {
	Email string
	Name  string
}

// review is one published review of a demo product (by name) by a demo shopper (an index of
// shoppers), written DaysAgo days ago.
type review struct {
	Shopper int
	Product string
	Rating  int
	Title   string
	Body    string
	DaysAgo int
}

// shoppers are the demo reviewers; like the sellers, nobody can log in as them.
var shoppers = []shopper{
	{Email: "dana@shoppers.demo.shopflow.local", Name: "Dana R."},
	{Email: "eli@shoppers.demo.shopflow.local", Name: "Eli M."},
	{Email: "farah@shoppers.demo.shopflow.local", Name: "Farah K."},
}

// reviews give a few demo products ratings, so product pages, search's rating sort and the
// min_rating filter have something to show.
var reviews = []review{
	{0, "Pixel Horizon 8 128 GB", 5, "Great camera", "Photos at night are better than my old flagship.", 12},
	{1, "Pixel Horizon 8 128 GB", 4, "Solid phone", "Battery lasts a day and a half; the case is slippery.", 9},
	{2, "Pixel Horizon 8 128 GB", 4, "Good value", "Does everything I need.", 3},
	{0, "Quiet Comfort Over-Ear Headphones", 5, "Silence on the train", "Noise cancelling is excellent.", 20},
	{1, "Quiet Comfort Over-Ear Headphones", 3, "Comfortable, a bit heavy", "Great sound, but my ears get warm after an hour.", 6},
	{2, "Cast Iron Skillet 10-inch", 5, "Will outlive me", "Seasoning was good out of the box.", 30},
	{0, "Cast Iron Skillet 10-inch", 4, "Heavy but great", "Perfect sear; needs two hands.", 15},
	{1, "The Pragmatic Shopkeeper", 5, "Practical", "Chapter on returns alone was worth it.", 40},
	{2, "Chromebook Go 11", 2, "Slow", "Fine for the browser, struggles with anything else.", 8},
}

// insertReviews creates the demo shoppers, a delivered order of each product they review (so
// every review is a verified purchase, as the API requires), the published reviews, and the
// products' rating aggregates, recounted from the reviews.
func insertReviews(ctx context.Context, tx pgx.Tx) error {
	ids := make([]string, 0, len(shoppers))
	for _, s := range shoppers {
		hash, err := unusablePasswordHash()
		if err != nil {
			return err
		}
		var id, role string
		err = tx.QueryRow(ctx, `
			INSERT INTO users (email, password_hash, name, role) VALUES ($1, $2, $3, 'customer')
			ON CONFLICT ((lower(email))) DO UPDATE SET email = users.email
			RETURNING id, role`, s.Email, hash, s.Name).Scan(&id, &role)
		if err != nil {
			return fmt.Errorf("insert demo shopper %s: %w", s.Email, err)
		}
		if role != "customer" {
			return fmt.Errorf("demo shopper %s already exists with role %s", s.Email, role)
		}
		ids = append(ids, id)
	}
	for _, r := range reviews {
		if r.Shopper < 0 || r.Shopper >= len(ids) {
			return fmt.Errorf("review of %q: no demo shopper %d", r.Product, r.Shopper)
		}
		if _, err := tx.Exec(ctx, `
			WITH p AS (SELECT id, seller_id, name, price_cents FROM products WHERE name = $2 ORDER BY id DESC LIMIT 1),
			o AS (
				INSERT INTO orders (customer_id, status, currency, subtotal_cents, total_cents, created_at, updated_at)
				SELECT $1, 'delivered', 'USD', p.price_cents, p.price_cents, now() - make_interval(days => $6 + 5),
				       now() - make_interval(days => $6 + 1)
				FROM p RETURNING id),
			i AS (
				INSERT INTO order_items (order_id, line_no, product_id, seller_id, quantity, unit_price_cents, currency, name, fulfilment)
				SELECT o.id, 1, p.id, p.seller_id, 1, p.price_cents, 'USD', p.name, 'delivered' FROM o, p)
			INSERT INTO reviews (product_id, customer_id, rating, title, body, status, published_at, created_at, updated_at)
			SELECT p.id, $1, $3, $4, $5, 'published', now() - make_interval(days => $6), now() - make_interval(days => $6),
			       now() - make_interval(days => $6)
			FROM p`, ids[r.Shopper], r.Product, r.Rating, r.Title, r.Body, r.DaysAgo); err != nil {
			return fmt.Errorf("insert demo review of %q: %w", r.Product, err)
		}
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO product_search_stats AS st (product_id, rating_count, rating_sum, rating_avg,
			rating_1, rating_2, rating_3, rating_4, rating_5)
		SELECT product_id, count(*), sum(rating), round(avg(rating), 2),
		       count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3),
		       count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5)
		FROM reviews WHERE status = 'published' GROUP BY product_id
		ON CONFLICT (product_id) DO UPDATE SET rating_count = excluded.rating_count, rating_sum = excluded.rating_sum,
			rating_avg = excluded.rating_avg, rating_1 = excluded.rating_1, rating_2 = excluded.rating_2,
			rating_3 = excluded.rating_3, rating_4 = excluded.rating_4, rating_5 = excluded.rating_5, updated_at = now()`)
	if err != nil {
		return fmt.Errorf("demo ratings: %w", err)
	}
	return nil
}
