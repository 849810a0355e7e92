package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// Fraud decisions recorded on orders: a screen's allow, review or reject, and an admin's
// approved or rejected after a review.
const (
	FraudAllow    = "allow"
	FraudReview   = "review"
	FraudReject   = "reject"
	FraudApproved = "approved"
	FraudRejected = "rejected"
)

// FraudSignals is what a fraud screen reads of an order and of its buyer's recent orders.
type FraudSignals struct {
	CustomerID      string
	TotalCents      int64
	Currency        string
	PaymentMethod   string
	ClientIP        string // empty when not recorded
	ShippingCountry string
	CreatedAt       time.Time
	Status          string
	// Counts of other orders created within the window before this one, by the same customer,
	// with the same payment method, and from the same IP address; each stops at the limit
	// asked for, so a busy card costs no more to count than a quiet one.
	CustomerOrders, CardOrders, IPOrders int
	// PlacedBefore says the customer has an earlier order that was placed (paid).
	PlacedBefore bool
}

// FraudSignalsOf reads the order and counts its customer's, card's and address's orders
// created within window before it (excluding itself), each counted up to limit; limit 0 counts
// nothing. One round trip: every count is an index range scan (orders_customer_idx,
// orders_payment_method_idx, orders_client_ip_idx) cut short at limit. The order itself is in
// each range (created at its own created_at) and is counted, then taken off, so the scans read
// the indexes alone, never the other orders' rows.
func (s *Store) FraudSignalsOf(ctx context.Context, orderID string, window time.Duration, limit int) (FraudSignals, error) {
	var f FraudSignals
	err := s.Pool.QueryRow(ctx, `
		SELECT o.customer_id::text, o.total_cents, o.currency, o.payment_method, coalesce(host(o.client_ip), ''),
		       coalesce(o.shipping_address->>'country', ''), o.created_at, o.status,
		       CASE WHEN $2 > 0 THEN (SELECT greatest(count(*) - 1, 0) FROM (SELECT 1 FROM orders c
		           WHERE c.customer_id = o.customer_id AND c.created_at > o.created_at - w.span AND c.created_at <= o.created_at
		           LIMIT $2 + 1) x) ELSE 0 END,
		       CASE WHEN $2 > 0 AND o.payment_method <> '' THEN (SELECT greatest(count(*) - 1, 0) FROM (SELECT 1 FROM orders c
		           WHERE c.payment_method = o.payment_method AND c.created_at > o.created_at - w.span AND c.created_at <= o.created_at
		           LIMIT $2 + 1) x) ELSE 0 END,
		       CASE WHEN $2 > 0 AND o.client_ip IS NOT NULL THEN (SELECT greatest(count(*) - 1, 0) FROM (SELECT 1 FROM orders c
		           WHERE c.client_ip = o.client_ip AND c.created_at > o.created_at - w.span AND c.created_at <= o.created_at
		           LIMIT $2 + 1) x) ELSE 0 END,
		       EXISTS (SELECT 1 FROM orders p WHERE p.customer_id = o.customer_id AND p.created_at < o.created_at
		           AND p.status IN ('placed', 'shipped', 'delivered', 'partially_refunded', 'refunded'))
		FROM orders o, (SELECT $3 * interval '1 microsecond' AS span) w
		WHERE o.id = $1`, orderID, limit, window.Microseconds()).
		Scan(&f.CustomerID, &f.TotalCents, &f.Currency, &f.PaymentMethod, &f.ClientIP, &f.ShippingCountry, &f.CreatedAt, &f.Status,
			&f.CustomerOrders, &f.CardOrders, &f.IPOrders, &f.PlacedBefore)
	if err != nil {
		return FraudSignals{}, fmt.Errorf("fraud signals of order %s: %w", orderID, classify(err, "order"))
	}
	return f, nil
}

// FraudReason is one rule's part in an order's fraud score.
type FraudReason struct {
	Rule   string `json:"rule"`
	Points int    `json:"points"`
	Detail string `json:"detail"`
}

// FraudRecord is a fraud screen's verdict on an order.
type FraudRecord struct {
	Screen   string // the screen's name, for the timeline
	Score    int
	Decision string // FraudAllow, FraudReview or FraudReject
	Reasons  []FraudReason
	// HoldUntil, when set, extends the order's held stock to at least then: an order in review
	// keeps its stock through the review and the payment that follows, out of the expiry
	// sweep's reach.
	HoldUntil time.Time
}

// RecordFraud stores the screen's verdict on the order, extends its held stock when HoldUntil
// is set, and adds a timeline event for a review or a reject (an allowed order's timeline is
// left as it was). One statement: the order row is locked first, then its reservations, as
// every other step does. An order an admin has reviewed keeps the admin's decision.
func (s *Store) RecordFraud(ctx context.Context, orderID string, r FraudRecord) error {
	reasons := r.Reasons
	if reasons == nil {
		reasons = []FraudReason{}
	}
	raw, err := json.Marshal(reasons)
	if err != nil {
		return fmt.Errorf("record fraud for order %s: %w", orderID, err)
	}
	var hold *time.Time
	if !r.HoldUntil.IsZero() {
		hold = &r.HoldUntil
	}
	rules := make([]string, len(reasons))
	for i, x := range reasons {
		rules[i] = x.Rule
	}
	note := fmt.Sprintf("fraud screen %s: score %d, %s", r.Screen, r.Score, r.Decision)
	if len(rules) > 0 {
		note += " (" + strings.Join(rules, ", ") + ")"
	}
	_, err = s.Pool.Exec(ctx, `
		WITH o AS (
			UPDATE orders SET fraud_score = $2, fraud_decision = $3, fraud_reasons = $4, updated_at = now()
			WHERE id = $1 AND (fraud_decision IS NULL OR fraud_decision IN ('allow', 'review', 'reject'))
			RETURNING id),
		held AS (
			UPDATE reservations r SET expires_at = greatest(r.expires_at, $5::timestamptz), updated_at = now()
			FROM o WHERE $5::timestamptz IS NOT NULL AND r.order_id = o.id AND r.status = 'held'
			RETURNING r.id)
		INSERT INTO order_events (order_id, status, note)
		SELECT o.id, 'fraud_' || $3, $6 FROM o WHERE $3 <> 'allow'`,
		orderID, r.Score, r.Decision, raw, hold, note)
	if err != nil {
		return fmt.Errorf("record fraud for order %s: %w", orderID, classify(err, "order"))
	}
	return nil
}

// FraudReviewResult is an admin's decision as recorded.
type FraudReviewResult struct {
	Decision string // FraudApproved or FraudRejected
}

// ReviewFraud records an admin's decision on an order waiting for a fraud review, with the
// reviewer (empty when unknown) and a note. Recording the same decision again is a no-op; an
// order not in review is a conflict. It records only: the checkout saga acts on the decision.
func (s *Store) ReviewFraud(ctx context.Context, orderID, reviewerID string, approve bool, note string) (FraudReviewResult, error) {
	decision := FraudRejected
	if approve {
		decision = FraudApproved
	}
	var reviewer *string
	if reviewerID != "" {
		reviewer = &reviewerID
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockOrder(ctx, tx, orderID); err != nil {
			return err
		}
		var current *string
		if err := tx.QueryRow(ctx, `SELECT fraud_decision FROM orders WHERE id = $1`, orderID).Scan(&current); err != nil {
			return err
		}
		switch {
		case current != nil && *current == decision:
			return nil // a retry
		case current == nil || *current != FraudReview:
			was := "unscreened"
			if current != nil {
				was = *current
			}
			return errs.E(errs.Conflict, "order %s is not waiting for a fraud review", orderID).WithDetails("fraud_decision", was)
		}
		if _, err := tx.Exec(ctx, `
			UPDATE orders SET fraud_decision = $2, fraud_reviewed_by = $3, fraud_reviewed_at = now(), fraud_review_note = $4, updated_at = now()
			WHERE id = $1`, orderID, decision, reviewer, note); err != nil {
			return err
		}
		event := "fraud review: " + decision
		if note != "" {
			event += ": " + note
		}
		return addOrderEvent(ctx, tx, orderID, "fraud_"+decision, event)
	})
	if err != nil {
		return FraudReviewResult{}, fmt.Errorf("review fraud of order %s: %w", orderID, classify(err, "order"))
	}
	return FraudReviewResult{Decision: decision}, nil
}

// FraudReviewItem is an order waiting for an admin's fraud review.
type FraudReviewItem struct {
	OrderID         string        `json:"order_id"`
	CustomerID      string        `json:"customer_id"`
	Status          string        `json:"status"`
	TotalCents      int64         `json:"total_cents"`
	Currency        string        `json:"currency"`
	FraudScore      int           `json:"fraud_score"`
	FraudReasons    []FraudReason `json:"fraud_reasons"`
	ShippingCountry string        `json:"shipping_country"`
	ClientIP        *string       `json:"client_ip"`
	CreatedAt       time.Time     `json:"created_at"`
}

// FraudReviewFilter pages the orders waiting for review: oldest first (they time out first),
// after the (AfterCreated, AfterID) key of the previous page.
type FraudReviewFilter struct {
	AfterCreated time.Time
	AfterID      string
	Limit        int
}

// FraudReviews lists the orders waiting for a fraud review: screened review, not decided, and
// still awaiting payment (a review that timed out or was canceled leaves the order canceled).
func (s *Store) FraudReviews(ctx context.Context, f FraudReviewFilter) ([]FraudReviewItem, error) {
	var after *time.Time
	if !f.AfterCreated.IsZero() {
		after = &f.AfterCreated
	}
	afterID := f.AfterID
	if afterID == "" {
		afterID = "00000000-0000-0000-0000-000000000000"
	}
	rows, err := s.Pool.Query(ctx, `
		SELECT id::text, customer_id::text, status, total_cents, currency, coalesce(fraud_score, 0), fraud_reasons,
		       coalesce(shipping_address->>'country', ''), host(client_ip), created_at
		FROM orders
		WHERE fraud_decision = 'review' AND status = 'awaiting_payment'
		  AND ($1::timestamptz IS NULL OR (created_at, id) > ($1, $2::uuid))
		ORDER BY created_at, id LIMIT $3`, after, afterID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list fraud reviews: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FraudReviewItem, error) {
		var it FraudReviewItem
		var reasons []byte
		if err := r.Scan(&it.OrderID, &it.CustomerID, &it.Status, &it.TotalCents, &it.Currency, &it.FraudScore, &reasons,
			&it.ShippingCountry, &it.ClientIP, &it.CreatedAt); err != nil {
			return it, err
		}
		if err := json.Unmarshal(reasons, &it.FraudReasons); err != nil {
			return it, err
		}
		if it.FraudReasons == nil {
			it.FraudReasons = []FraudReason{}
		}
		return it, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list fraud reviews: %w", err)
	}
	return items, nil
}
