package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// Moderation decisions an admin makes on a review.
const (
	DecisionPublish = "publish"
	DecisionReject  = "reject"
)

// ReviewDecision is an admin's decision on a review, with the reason the author is shown.
type ReviewDecision struct {
	ReviewID int64
	AdminID  string
	Decision string // DecisionPublish or DecisionReject
	Reason   string
}

// ModerateReview applies an admin's decision and moves the product's rating with it. The
// legal moves are pending -> published | rejected, and published -> rejected (taking down a
// review that should not have been published); any other is a conflict and changes nothing.
func (s *Store) ModerateReview(ctx context.Context, d ReviewDecision) (Review, error) {
	var r Review
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var productID int64
		err := tx.QueryRow(ctx, `SELECT product_id FROM reviews WHERE id = $1`, d.ReviewID).Scan(&productID)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.E(errs.NotFound, "review not found")
		}
		if err != nil {
			return classify(err, "review")
		}
		old, err := lockReview(ctx, tx, productID, d.ReviewID)
		if err != nil {
			return err
		}
		to := ReviewPublished
		if d.Decision == DecisionReject {
			to = ReviewRejected
		}
		if !legalReviewMove(old.status, to) {
			return errs.E(errs.Conflict, "a %s review cannot be %s", old.status, to).WithDetails("status", old.status)
		}
		var delta ratingDelta
		if old.status == ReviewPublished {
			delta.remove(old.rating)
		}
		if to == ReviewPublished {
			delta.add(old.rating)
		}
		if _, err := tx.Exec(ctx, `UPDATE reviews SET status = $2, moderation_reason = nullif($3, ''),
				moderated_by = $4, moderated_at = now(),
				published_at = CASE WHEN $2 = 'published' THEN now() END, updated_at = now()
			WHERE id = $1`, d.ReviewID, to, d.Reason, d.AdminID); err != nil {
			return classify(err, "review")
		}
		if err := applyRatingDelta(ctx, tx, productID, delta); err != nil {
			return err
		}
		r, err = reviewByID(ctx, tx, productID, d.ReviewID)
		return err
	})
	if err != nil {
		return Review{}, fmt.Errorf("moderate review %d: %w", d.ReviewID, err)
	}
	return r, nil
}

// legalReviewMove is the reviews' state machine, in one place.
func legalReviewMove(from, to string) bool {
	switch from {
	case ReviewPending:
		return to == ReviewPublished || to == ReviewRejected
	case ReviewPublished:
		return to == ReviewRejected
	}
	return false
}

// ReviewQueue pages through reviews in one status, oldest first: the moderation queue.
type ReviewQueue struct {
	Status string
	Limit  int
	Cursor string
}

// ReviewPage is one page of reviews; NextCursor is nil on the last page.
type ReviewPage struct {
	Items      []Review
	NextCursor *string
}

// ListReviewQueue returns one page of the reviews in q.Status, oldest first.
func (s *Store) ListReviewQueue(ctx context.Context, q ReviewQueue) (ReviewPage, error) {
	after := int64(0)
	if q.Cursor != "" {
		c, err := decodeReviewCursor(q.Cursor, "queue:"+q.Status)
		if err != nil {
			return ReviewPage{}, err
		}
		after = c.ID
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+reviewColumns+reviewFrom+`
		WHERE r.status = $1 AND r.id > $2 ORDER BY r.id LIMIT $3`, q.Status, after, q.Limit+1)
	if err != nil {
		return ReviewPage{}, fmt.Errorf("list %s reviews: %w", q.Status, classify(err, "review"))
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Review, error) { return scanReview(r) })
	if err != nil {
		return ReviewPage{}, fmt.Errorf("list %s reviews: %w", q.Status, classify(err, "review"))
	}
	return pageOfReviews(items, q.Limit, func(last Review) reviewCursor {
		return reviewCursor{Scope: "queue:" + q.Status, ID: last.ID}
	})
}
