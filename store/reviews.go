package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// Review statuses: a review counts in its product's rating only while published.
const (
	ReviewPending   = "pending"
	ReviewPublished = "published"
	ReviewRejected  = "rejected"
)

// ReviewReceivedKind is the outbox kind of the notification a seller gets for a new review.
const ReviewReceivedKind = "review_received"

// Review is a verified buyer's review of a product. Title, body and reply are plain text as the
// author typed it: never HTML, and never rendered as such by the API (it answers JSON only).
type Review struct {
	ID         int64  `json:"id"`
	ProductID  int64  `json:"product_id"`
	CustomerID string `json:"-"`
	AuthorName string `json:"author_name"`
	Rating     int    `json:"rating"`
	Title      string `json:"title"`
	Body       string `json:"body"`
	Status     string `json:"status"`
	// ModerationReason is the admin's reason for the last decision; shown to the author and
	// admins only (the API clears it elsewhere).
	ModerationReason *string      `json:"moderation_reason,omitempty"`
	ModeratedAt      *time.Time   `json:"moderated_at,omitempty"`
	HelpfulCount     int          `json:"helpful_count"`
	Reply            *ReviewReply `json:"reply"`
	PublishedAt      *time.Time   `json:"published_at"`
	CreatedAt        time.Time    `json:"created_at"`
	UpdatedAt        time.Time    `json:"updated_at"`
}

// ReviewReply is the product's seller's one answer to a review.
type ReviewReply struct {
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

const reviewColumns = `r.id, r.product_id, r.customer_id::text, u.name, r.rating, r.title, r.body, r.status,
	r.moderation_reason, r.moderated_at, r.helpful_count, r.reply_body, r.replied_at, r.published_at,
	r.created_at, r.updated_at`

const reviewFrom = ` FROM reviews r JOIN users u ON u.id = r.customer_id`

func scanReview(row pgx.Row) (Review, error) {
	var r Review
	var replyBody *string
	var repliedAt *time.Time
	err := row.Scan(&r.ID, &r.ProductID, &r.CustomerID, &r.AuthorName, &r.Rating, &r.Title, &r.Body, &r.Status,
		&r.ModerationReason, &r.ModeratedAt, &r.HelpfulCount, &replyBody, &repliedAt, &r.PublishedAt,
		&r.CreatedAt, &r.UpdatedAt)
	if replyBody != nil && repliedAt != nil {
		r.Reply = &ReviewReply{Body: *replyBody, CreatedAt: repliedAt.UTC()}
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, err
}

func reviewByID(ctx context.Context, q querier, productID, id int64) (Review, error) {
	r, err := scanReview(q.QueryRow(ctx, `SELECT `+reviewColumns+reviewFrom+` WHERE r.id = $1 AND r.product_id = $2`, id, productID))
	if err != nil {
		return Review{}, classify(err, "review")
	}
	return r, nil
}

// ReviewByID returns a review of the product in any status; callers decide who may see it.
func (s *Store) ReviewByID(ctx context.Context, productID, id int64) (Review, error) {
	r, err := reviewByID(ctx, s.Pool, productID, id)
	if err != nil {
		return Review{}, fmt.Errorf("review %d of product %d: %w", id, productID, err)
	}
	return r, nil
}

// ReviewText is what an author writes: stars, title and body, already validated.
type ReviewText struct {
	Rating int
	Title  string
	Body   string
}

// NewReview is what CreateReview needs. AutoPublish publishes it at once.
type NewReview struct {
	ProductID   int64
	CustomerID  string
	AutoPublish bool
	ReviewText
}

// CreateReview records a customer's review of an active product it bought (a line of one of
// its orders that is placed, shipped or delivered), and queues the seller's notification, in
// one transaction. An unknown or unlisted product is not found, a customer who did not buy it
// is forbidden, and a second review of one product by one customer is a conflict.
func (s *Store) CreateReview(ctx context.Context, nr NewReview) (Review, error) {
	var r Review
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if err := checkReviewable(ctx, tx, nr.ProductID, nr.CustomerID); err != nil {
			return err
		}
		if err := lockProductRating(ctx, tx, nr.ProductID); err != nil {
			return err
		}
		status := ReviewPending
		if nr.AutoPublish {
			status = ReviewPublished
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO reviews (product_id, customer_id, rating, title, body, status, published_at)
			VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6 = 'published' THEN now() END)
			ON CONFLICT (product_id, customer_id) DO NOTHING RETURNING id`,
			nr.ProductID, nr.CustomerID, nr.Rating, nr.Title, nr.Body, status).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.E(errs.Conflict, "you have already reviewed product %d; edit or delete that review instead", nr.ProductID)
		}
		if err != nil {
			return classify(err, "review")
		}
		var d ratingDelta
		if status == ReviewPublished {
			d.add(nr.Rating)
		}
		if err := applyRatingDelta(ctx, tx, nr.ProductID, d); err != nil {
			return err
		}
		if err := queueReviewNotification(ctx, tx, id); err != nil {
			return fmt.Errorf("queue review notification: %w", err)
		}
		r, err = reviewByID(ctx, tx, nr.ProductID, id)
		return err
	})
	if err != nil {
		return Review{}, fmt.Errorf("create review of product %d by %s: %w", nr.ProductID, nr.CustomerID, err)
	}
	s.AnnounceOutbox(ctx)
	return r, nil
}

// checkReviewable fails unless the product is listed and the customer bought it.
func checkReviewable(ctx context.Context, tx pgx.Tx, productID int64, customerID string) error {
	var active, bought bool
	err := tx.QueryRow(ctx, `SELECT p.status = 'active', EXISTS (
			SELECT 1 FROM orders o JOIN order_items oi ON oi.order_id = o.id
			WHERE o.customer_id = $2 AND oi.product_id = p.id AND o.status IN ('placed', 'shipped', 'delivered'))
		FROM products p WHERE p.id = $1`, productID, customerID).Scan(&active, &bought)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !active) {
		return errs.E(errs.NotFound, "product not found")
	}
	if err != nil {
		return classify(err, "product")
	}
	if !bought {
		return errs.E(errs.Forbidden, "only customers who bought product %d (an order placed, shipped or delivered) may review it", productID)
	}
	return nil
}

// queueReviewNotification tells the product's seller about a new review, once per review; the
// delivery follows the seller's notification preferences.
func queueReviewNotification(ctx context.Context, tx pgx.Tx, reviewID int64) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO notification_outbox (key, recipient_id, kind, payload)
		SELECT s.user_id::text || ':' || $2 || ':' || r.id, s.user_id, $2,
		       jsonb_build_object('review_id', r.id, 'product_id', p.id, 'name', p.name, 'rating', r.rating, 'title', r.title)
		FROM reviews r JOIN products p ON p.id = r.product_id JOIN sellers s ON s.id = p.seller_id
		WHERE r.id = $1
		ON CONFLICT (key) DO NOTHING`, reviewID, ReviewReceivedKind)
	return err
}

// ReviewEdit replaces the text of a review by its author. AutoPublish keeps (or makes) it
// published; otherwise an edit goes back to pending, so a published review that is edited
// stops counting until an admin has seen the new text.
type ReviewEdit struct {
	ProductID   int64
	ReviewID    int64
	CustomerID  string
	AutoPublish bool
	ReviewText
}

// EditReview applies an author's edit and moves the product's rating with it. Someone else's
// review is forbidden.
func (s *Store) EditReview(ctx context.Context, e ReviewEdit) (Review, error) {
	var r Review
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		old, err := lockReview(ctx, tx, e.ProductID, e.ReviewID)
		if err != nil {
			return err
		}
		if old.customerID != e.CustomerID {
			return errs.E(errs.Forbidden, "review %d belongs to another customer", e.ReviewID)
		}
		status := ReviewPending
		if e.AutoPublish {
			status = ReviewPublished
		}
		var d ratingDelta
		if old.status == ReviewPublished {
			d.remove(old.rating)
		}
		if status == ReviewPublished {
			d.add(e.Rating)
		}
		// published_at stays when a review stays published: it became published then.
		if _, err := tx.Exec(ctx, `UPDATE reviews SET rating = $2, title = $3, body = $4, status = $5,
				published_at = CASE WHEN $5 <> 'published' THEN NULL WHEN status = 'published' THEN published_at ELSE now() END,
				updated_at = now()
			WHERE id = $1`, e.ReviewID, e.Rating, e.Title, e.Body, status); err != nil {
			return classify(err, "review")
		}
		if err := applyRatingDelta(ctx, tx, e.ProductID, d); err != nil {
			return err
		}
		r, err = reviewByID(ctx, tx, e.ProductID, e.ReviewID)
		return err
	})
	if err != nil {
		return Review{}, fmt.Errorf("edit review %d: %w", e.ReviewID, err)
	}
	return r, nil
}

// DeleteReview deletes a review (with its votes and reply) and takes it out of the product's
// rating. Only its author may, or an admin (asAdmin).
func (s *Store) DeleteReview(ctx context.Context, productID, reviewID int64, actorID string, asAdmin bool) error {
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		old, err := lockReview(ctx, tx, productID, reviewID)
		if err != nil {
			return err
		}
		if !asAdmin && old.customerID != actorID {
			return errs.E(errs.Forbidden, "review %d belongs to another customer", reviewID)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM reviews WHERE id = $1`, reviewID); err != nil {
			return classify(err, "review")
		}
		var d ratingDelta
		if old.status == ReviewPublished {
			d.remove(old.rating)
		}
		return applyRatingDelta(ctx, tx, productID, d)
	})
	if err != nil {
		return fmt.Errorf("delete review %d: %w", reviewID, err)
	}
	return nil
}

// lockedReview is what a write needs of a review's state before it changes it.
type lockedReview struct {
	customerID string
	status     string
	rating     int
	hasReply   bool
}

// lockReview takes the product's rating lock, then the review's row, in that order (see
// lockProductRating), and returns the review's state as it is under the locks.
func lockReview(ctx context.Context, tx pgx.Tx, productID, reviewID int64) (lockedReview, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM products WHERE id = $1)`, productID).Scan(&exists); err != nil {
		return lockedReview{}, classify(err, "product")
	}
	if !exists {
		return lockedReview{}, errs.E(errs.NotFound, "product not found")
	}
	if err := lockProductRating(ctx, tx, productID); err != nil {
		return lockedReview{}, err
	}
	var l lockedReview
	err := tx.QueryRow(ctx, `SELECT customer_id::text, status, rating, reply_body IS NOT NULL FROM reviews
		WHERE id = $1 AND product_id = $2 FOR UPDATE`, reviewID, productID).Scan(&l.customerID, &l.status, &l.rating, &l.hasReply)
	if err != nil {
		return l, classify(err, "review")
	}
	return l, nil
}
