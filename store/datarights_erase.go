package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// Steps of an erasure, in the order they run. Every step that needs the account's email
// (notifications sent to it, the login limiter's Redis key) runs before profile, which
// anonymises it; sessions runs first so the customer is signed out before anything else.
const (
	EraseSessions      = "sessions"
	EraseCart          = "cart"
	EraseWishlist      = "wishlist"
	EraseReviews       = "reviews"
	EraseNotifications = "notifications"
	EraseExports       = "exports"
	EraseIdempotency   = "idempotency"
	EraseReturns       = "returns"
	EraseOrders        = "orders"
	ErasePreferences   = "preferences"
	EraseRedis         = "redis"
	EraseProfile       = "profile"
)

// ErasureSteps lists the steps in order.
var ErasureSteps = []string{EraseSessions, EraseCart, EraseWishlist, EraseReviews, EraseNotifications, EraseExports,
	EraseIdempotency, EraseReturns, EraseOrders, ErasePreferences, EraseRedis, EraseProfile}

// Statuses of an erasure.
const (
	ErasureRunning = "running"
	ErasureDone    = "done"
)

// Erasure is the progress of one customer's erasure; it holds no personal data.
type Erasure struct {
	UserID      string           `json:"user_id"`
	Status      string           `json:"status"`
	StepsDone   []string         `json:"steps_done"`
	Counts      map[string]int64 `json:"counts"`
	RequestedBy *string          `json:"requested_by"`
	CreatedAt   time.Time        `json:"created_at"`
	FinishedAt  *time.Time       `json:"finished_at"`
}

const erasureColumns = `user_id::text, status, steps_done, counts, requested_by::text, created_at, finished_at`

func scanErasure(row pgx.Row) (Erasure, error) {
	var e Erasure
	var counts []byte
	if err := row.Scan(&e.UserID, &e.Status, &e.StepsDone, &counts, &e.RequestedBy, &e.CreatedAt, &e.FinishedAt); err != nil {
		return e, classify(err, "erasure")
	}
	if err := json.Unmarshal(counts, &e.Counts); err != nil {
		return e, fmt.Errorf("decode erasure counts: %w", err)
	}
	if e.StepsDone == nil {
		e.StepsDone = []string{}
	}
	return e, nil
}

// Done reports whether the step has run.
func (e Erasure) Done(step string) bool { return slices.Contains(e.StepsDone, step) }

// StartErasure records the erasure of a customer's account, or finds the one recorded before
// (asking twice erases once). Sellers' and admins' accounts are not erased this way: a store's
// records and an operator's actions outlive the person, and are handled by hand.
func (s *Store) StartErasure(ctx context.Context, userID, requestedBy string) (Erasure, error) {
	var e Erasure
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var role string
		if err := tx.QueryRow(ctx, `SELECT role FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&role); err != nil {
			return classify(err, "user")
		}
		if role != RoleCustomer {
			return errs.E(errs.Conflict, "only customer accounts can be erased; this account is a %s", role)
		}
		// Signed out at once, not when the workflow reaches its first step.
		if _, err := tx.Exec(ctx, `UPDATE users SET token_version = token_version + 1, disabled_at = coalesce(disabled_at, now()),
			updated_at = now() WHERE id = $1 AND disabled_at IS NULL`, userID); err != nil {
			return classify(err, "user")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO erasures (user_id, requested_by) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`,
			userID, requestedBy); err != nil {
			return classify(err, "erasure")
		}
		var err error
		e, err = scanErasure(tx.QueryRow(ctx, `SELECT `+erasureColumns+` FROM erasures WHERE user_id = $1`, userID))
		return err
	})
	if err != nil {
		return Erasure{}, fmt.Errorf("start erasure of %s: %w", userID, err)
	}
	return e, nil
}

// ErasureOf returns the erasure of the user.
func (s *Store) ErasureOf(ctx context.Context, userID string) (Erasure, error) {
	if !validUUID(userID) {
		return Erasure{}, errs.E(errs.NotFound, "erasure not found")
	}
	return scanErasure(s.Pool.QueryRow(ctx, `SELECT `+erasureColumns+` FROM erasures WHERE user_id = $1`, userID))
}

// ErasureSubject is what the steps outside Postgres need of the account before it is
// anonymised: its email (for keys that hold it) and the storage keys of its exports.
type ErasureSubject struct {
	Email       string
	ExportFiles []string
}

// ErasureSubjectOf reads the account's email and export archives.
func (s *Store) ErasureSubjectOf(ctx context.Context, userID string) (ErasureSubject, error) {
	var sub ErasureSubject
	err := s.Pool.QueryRow(ctx, `SELECT u.email, coalesce(array_agg(d.storage_key) FILTER (WHERE d.storage_key <> ''), '{}')
		FROM users u LEFT JOIN data_exports d ON d.user_id = u.id WHERE u.id = $1 GROUP BY u.email`, userID).Scan(&sub.Email, &sub.ExportFiles)
	if err != nil {
		return sub, classify(err, "user")
	}
	return sub, nil
}

// RunErasureStep runs one database step of the user's erasure and records it done, with its
// count, in the same transaction; a step recorded before is skipped and its count returned.
// Steps outside Postgres (Redis, files) do their work first and then call it to record
// themselves: for them it only deletes the rows that named the files.
func (s *Store) RunErasureStep(ctx context.Context, userID, step string, outside int64) (count int64, skipped bool, err error) {
	if step == EraseReviews {
		e, err := s.ErasureOf(ctx, userID)
		if err != nil || e.Done(step) {
			return e.Counts[step], err == nil, err
		}
		if outside, err = s.deleteReviewsOf(ctx, userID); err != nil {
			return 0, false, fmt.Errorf("erase reviews of %s: %w", userID, err)
		}
	}
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		e, err := lockErasure(ctx, tx, userID)
		if err != nil {
			return err
		}
		if e.Done(step) {
			count, skipped = e.Counts[step], true
			return nil
		}
		count, err = eraseInTx(ctx, tx, userID, step)
		if err != nil {
			return fmt.Errorf("%s: %w", step, err)
		}
		count += outside
		return markErasureStep(ctx, tx, userID, step, count)
	})
	if err != nil {
		return 0, false, fmt.Errorf("erase %s of %s: %w", step, userID, err)
	}
	return count, skipped, nil
}

// deleteReviewsOf deletes the customer's reviews one by one through DeleteReview, which keeps
// each product's rating aggregates right (deleting rather than anonymising: a review's text is
// the customer's own words). A crash midway leaves the rest for the rerun, whose count is of
// the reviews it deleted.
func (s *Store) deleteReviewsOf(ctx context.Context, userID string) (int64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT product_id, id FROM reviews WHERE customer_id = $1 ORDER BY id`, userID)
	if err != nil {
		return 0, err
	}
	ids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]int64, error) {
		var id [2]int64
		return id, r.Scan(&id[0], &id[1])
	})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, id := range ids {
		err := s.DeleteReview(ctx, id[0], id[1], userID, true)
		switch {
		case err == nil:
			n++
		case !errs.Is(err, errs.NotFound):
			return n, err
		}
	}
	return n, nil
}

func lockErasure(ctx context.Context, tx pgx.Tx, userID string) (Erasure, error) {
	e, err := scanErasure(tx.QueryRow(ctx, `SELECT `+erasureColumns+` FROM erasures WHERE user_id = $1 FOR UPDATE`, userID))
	if err != nil {
		return e, err
	}
	if e.Status == ErasureDone {
		return e, errs.E(errs.Conflict, "erasure of %s is finished", userID)
	}
	return e, nil
}

func markErasureStep(ctx context.Context, tx pgx.Tx, userID, step string, count int64) error {
	_, err := tx.Exec(ctx, `UPDATE erasures SET steps_done = array_append(steps_done, $2),
		counts = counts || jsonb_build_object($2::text, $3::bigint) WHERE user_id = $1`, userID, step, count)
	return classify(err, "erasure")
}

// FinishErasure marks the erasure done and, in the same transaction, writes its audit record:
// the steps and counts, no personal data. Finishing twice changes nothing.
func (s *Store) FinishErasure(ctx context.Context, userID string) (Erasure, error) {
	var e Erasure
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		e, err = scanErasure(tx.QueryRow(ctx, `SELECT `+erasureColumns+` FROM erasures WHERE user_id = $1 FOR UPDATE`, userID))
		if err != nil || e.Status == ErasureDone {
			return err
		}
		for _, step := range ErasureSteps {
			if !e.Done(step) {
				return errs.E(errs.Conflict, "erasure of %s: step %s has not run", userID, step)
			}
		}
		e, err = scanErasure(tx.QueryRow(ctx, `UPDATE erasures SET status = 'done', finished_at = now() WHERE user_id = $1
			RETURNING `+erasureColumns, userID))
		if err != nil {
			return err
		}
		return RecordAudit(ctx, tx, AuditRecord{Action: "user.erase", ResourceType: "user", ResourceID: userID,
			After: map[string]any{"steps": e.StepsDone, "counts": e.Counts, "requested_by": e.RequestedBy}})
	})
	if err != nil {
		return Erasure{}, fmt.Errorf("finish erasure of %s: %w", userID, err)
	}
	return e, nil
}
