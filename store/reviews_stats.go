package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// RatingSummary is a product's published reviews in numbers: the average (nil without any),
// how many there are, and how many gave each of 1 to 5 stars (Histogram[0] is 1 star).
type RatingSummary struct {
	Average   *float64
	Count     int
	Histogram [5]int
}

// ratingHistogram is a histogram as the API shows it: one count per number of stars.
type ratingHistogram struct {
	One   int `json:"1"`
	Two   int `json:"2"`
	Three int `json:"3"`
	Four  int `json:"4"`
	Five  int `json:"5"`
}

// ratingJSON is the API's ProductRating.
type ratingJSON struct {
	Average   *float64        `json:"average"`
	Count     int             `json:"count"`
	Histogram ratingHistogram `json:"histogram"`
}

func (r RatingSummary) view() ratingJSON {
	h := r.Histogram
	return ratingJSON{Average: r.Average, Count: r.Count, Histogram: ratingHistogram{h[0], h[1], h[2], h[3], h[4]}}
}

// ratingDelta is how one change to a review moves its product's published aggregate.
type ratingDelta struct {
	count, sum int
	hist       [5]int
}

// add counts a review with rating stars that became (or stays, re-rated) published.
func (d *ratingDelta) add(stars int) {
	d.count++
	d.sum += stars
	d.hist[stars-1]++
}

// remove stops counting a published review with rating stars.
func (d *ratingDelta) remove(stars int) {
	d.count--
	d.sum -= stars
	d.hist[stars-1]--
}

func (d ratingDelta) zero() bool { return d == ratingDelta{} }

// lockProductRating takes the lock that serialises every change to a product's reviews: the
// row of product_search_stats, created when missing. Every review write takes it first, before
// any review row, so two writers of one product never wait for each other in opposite orders;
// and since each write holds it while reading the review's old state and applying its delta,
// the aggregate always equals a recount of the published reviews.
func lockProductRating(ctx context.Context, tx pgx.Tx, productID int64) error {
	// The insert (for a product's first review) fires the stats trigger and so queues a search
	// change; only the first time, which is harmless.
	if _, err := tx.Exec(ctx, `INSERT INTO product_search_stats (product_id) VALUES ($1) ON CONFLICT (product_id) DO NOTHING`,
		productID); err != nil {
		return fmt.Errorf("create rating of product %d: %w", productID, classify(err, "product"))
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM product_search_stats WHERE product_id = $1 FOR UPDATE`, productID); err != nil {
		return fmt.Errorf("lock rating of product %d: %w", productID, classify(err, "product"))
	}
	return nil
}

// applyRatingDelta moves the product's aggregate by d, under the lock lockProductRating took.
// The update fires the stats trigger, which queues the product's search change in this same
// transaction, so Elasticsearch documents get the new rating; an unchanged aggregate writes
// (and queues) nothing.
func applyRatingDelta(ctx context.Context, tx pgx.Tx, productID int64, d ratingDelta) error {
	if d.zero() {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE product_search_stats SET
			rating_count = rating_count + $2,
			rating_sum = rating_sum + $3,
			rating_1 = rating_1 + $4, rating_2 = rating_2 + $5, rating_3 = rating_3 + $6,
			rating_4 = rating_4 + $7, rating_5 = rating_5 + $8,
			rating_avg = CASE WHEN rating_count + $2 > 0
				THEN round((rating_sum + $3)::numeric / (rating_count + $2), 2) END,
			updated_at = now()
		WHERE product_id = $1`,
		productID, d.count, d.sum, d.hist[0], d.hist[1], d.hist[2], d.hist[3], d.hist[4])
	if err != nil {
		return fmt.Errorf("update rating of product %d: %w", productID, classify(err, "product rating"))
	}
	return nil
}

// RatingOf returns a product's rating summary; a product without published reviews has a
// zero summary.
func (s *Store) RatingOf(ctx context.Context, productID int64) (RatingSummary, error) {
	var r RatingSummary
	err := s.Pool.QueryRow(ctx, `SELECT `+ratingColumns+` FROM (SELECT $1::bigint AS id) p
		LEFT JOIN product_search_stats st ON st.product_id = p.id`, productID).
		Scan(&r.Average, &r.Count, &r.Histogram[0], &r.Histogram[1], &r.Histogram[2], &r.Histogram[3], &r.Histogram[4])
	if err != nil {
		return r, fmt.Errorf("rating of product %d: %w", productID, classify(err, "product"))
	}
	return r, nil
}

// ratingColumns read a rating summary from product_search_stats st, left-joined.
const ratingColumns = `CASE WHEN coalesce(st.rating_count, 0) > 0 THEN st.rating_avg::float8 END,
	coalesce(st.rating_count, 0), coalesce(st.rating_1, 0), coalesce(st.rating_2, 0), coalesce(st.rating_3, 0),
	coalesce(st.rating_4, 0), coalesce(st.rating_5, 0)`
