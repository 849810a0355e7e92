package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// What others make of a published review: its seller's one reply and helpful votes. Neither
// moves the product's rating, so neither takes the rating lock.

// ReplyToReview records the product's seller's one reply to a published review. Another
// seller's product is forbidden; a second reply, or a reply to a review not yet published, is
// a conflict.
func (s *Store) ReplyToReview(ctx context.Context, productID, reviewID int64, sellerID, body string) (Review, error) {
	var r Review
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var owner string
		err := tx.QueryRow(ctx, `SELECT seller_id::text FROM products WHERE id = $1`, productID).Scan(&owner)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.E(errs.NotFound, "product not found")
		}
		if err != nil {
			return classify(err, "product")
		}
		if owner != sellerID {
			return errs.E(errs.Forbidden, "product %d belongs to another seller", productID)
		}
		var status string
		var replied bool
		err = tx.QueryRow(ctx, `SELECT status, reply_body IS NOT NULL FROM reviews WHERE id = $1 AND product_id = $2 FOR UPDATE`,
			reviewID, productID).Scan(&status, &replied)
		if err != nil {
			return classify(err, "review")
		}
		switch {
		case replied:
			return errs.E(errs.Conflict, "review %d already has your reply; a seller replies once", reviewID)
		case status != ReviewPublished:
			return errs.E(errs.Conflict, "review %d is %s; replies are to published reviews", reviewID, status).WithDetails("status", status)
		}
		if _, err := tx.Exec(ctx, `UPDATE reviews SET reply_body = $2, replied_at = now() WHERE id = $1`, reviewID, body); err != nil {
			return classify(err, "review reply")
		}
		r, err = reviewByID(ctx, tx, productID, reviewID)
		return err
	})
	if err != nil {
		return Review{}, fmt.Errorf("reply to review %d: %w", reviewID, err)
	}
	return r, nil
}

// VoteHelpful records that the user found a published review helpful. Voting again changes
// nothing; voting on one's own review is forbidden; a review that is not published is not
// found, as it is for anyone who is not its author.
func (s *Store) VoteHelpful(ctx context.Context, productID, reviewID int64, userID string) (Review, error) {
	var r Review
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		// The review's row first, as every writer of a review takes it after the product's
		// rating lock and a vote never needs that one.
		var author, status string
		err := tx.QueryRow(ctx, `SELECT customer_id::text, status FROM reviews WHERE id = $1 AND product_id = $2 FOR UPDATE`,
			reviewID, productID).Scan(&author, &status)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && status != ReviewPublished) {
			return errs.E(errs.NotFound, "review not found")
		}
		if err != nil {
			return classify(err, "review")
		}
		if author == userID {
			return errs.E(errs.Forbidden, "you cannot vote on your own review")
		}
		tag, err := tx.Exec(ctx, `INSERT INTO review_votes (review_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, reviewID, userID)
		if err != nil {
			return classify(err, "review vote")
		}
		if tag.RowsAffected() == 1 {
			if _, err := tx.Exec(ctx, `UPDATE reviews SET helpful_count = helpful_count + 1 WHERE id = $1`, reviewID); err != nil {
				return classify(err, "review")
			}
		}
		r, err = reviewByID(ctx, tx, productID, reviewID)
		return err
	})
	if err != nil {
		return Review{}, fmt.Errorf("vote on review %d: %w", reviewID, err)
	}
	return r, nil
}
