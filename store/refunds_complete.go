package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// lockRefund locks the refund's order, then the refund (every change of an order's refunds
// locks in that order), and returns the refund's order and status.
func lockRefund(ctx context.Context, tx pgx.Tx, id string) (orderID, orderStatus, status string, err error) {
	if err = tx.QueryRow(ctx, `SELECT order_id FROM refunds WHERE id = $1`, id).Scan(&orderID); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			err = errs.E(errs.NotFound, "refund %s not found", id)
		}
		return
	}
	if orderStatus, err = lockOrder(ctx, tx, orderID); err != nil {
		return
	}
	err = tx.QueryRow(ctx, `SELECT status FROM refunds WHERE id = $1 FOR UPDATE`, id).Scan(&status)
	return
}

// CompleteRefund records the provider's success: the refund succeeds, its lines enter the
// refund rollups, the order becomes partially_refunded or refunded, and a return it belongs to
// becomes refunded. Completing a succeeded refund again changes nothing.
func (s *Store) CompleteRefund(ctx context.Context, id, providerRef string) (Refund, error) {
	queued := false
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		orderID, orderStatus, status, err := lockRefund(ctx, tx, id)
		if err != nil || status == RefundSucceeded {
			return err
		}
		// The rollups' trigger (migration 00021) counts the lines as the status changes.
		if _, err := tx.Exec(ctx, `UPDATE refunds SET status = 'succeeded', provider_ref = $2, failure_reason = '',
			succeeded_at = now(), updated_at = now() WHERE id = $1`, id, providerRef); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE returns SET status = 'refunded', updated_at = now()
			WHERE id = (SELECT return_id FROM refunds WHERE id = $1) AND status <> 'refunded'`, id); err != nil {
			return err
		}
		if err := orderFollowsRefunds(ctx, tx, orderID, orderStatus, id); err != nil {
			return err
		}
		queued = true
		return queueRefundNotices(ctx, tx, id, "succeeded")
	})
	if err != nil {
		return Refund{}, fmt.Errorf("complete refund %s: %w", id, classify(err, "refund"))
	}
	if queued {
		s.AnnounceOutbox(ctx)
	}
	return s.RefundByID(ctx, id)
}

// orderFollowsRefunds moves the order to refunded once every unit was refunded by a refund
// that succeeded, else to partially_refunded, and adds the refund to its timeline.
func orderFollowsRefunds(ctx context.Context, tx pgx.Tx, orderID, status, refundID string) error {
	var units, refunded int64
	var amount int64
	var currency string
	if err := tx.QueryRow(ctx, `
		SELECT (SELECT sum(quantity) FROM order_items WHERE order_id = $1),
		       (SELECT coalesce(sum(l.quantity), 0) FROM refund_lines l JOIN refunds r ON r.id = l.refund_id
		        WHERE r.order_id = $1 AND r.status = 'succeeded'),
		       r.amount_cents, r.currency
		FROM refunds r WHERE r.id = $2`, orderID, refundID).Scan(&units, &refunded, &amount, &currency); err != nil {
		return err
	}
	to := OrderPartiallyRefunded
	if refunded >= units {
		to = OrderRefunded
	}
	note := fmt.Sprintf("refund of %d %s succeeded", amount, currency)
	if status == to || !CanTransition(status, to) {
		if _, err := tx.Exec(ctx, `UPDATE orders SET updated_at = now() WHERE id = $1`, orderID); err != nil {
			return err
		}
		return addOrderEvent(ctx, tx, orderID, "refund_succeeded", note)
	}
	return setOrderStatus(ctx, tx, orderID, status, to, nil, note)
}

// FailRefund records the provider's refusal; the refund stays visible and retriable, and keeps
// holding its units and money so a retry cannot be outrun by another refund.
func (s *Store) FailRefund(ctx context.Context, id, reason string) (Refund, error) {
	queued := false
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		orderID, _, status, err := lockRefund(ctx, tx, id)
		if err != nil {
			return err
		}
		if status == RefundSucceeded {
			return errs.E(errs.Conflict, "refund %s succeeded already", id).WithDetails("status", status)
		}
		if _, err := tx.Exec(ctx, `UPDATE refunds SET status = 'failed', failure_reason = left($2, 1000), updated_at = now()
			WHERE id = $1`, id, reason); err != nil {
			return err
		}
		if status == RefundFailed {
			return nil
		}
		queued = true
		if err := addOrderEvent(ctx, tx, orderID, "refund_failed", "refund refused: "+reason); err != nil {
			return err
		}
		return queueRefundNotices(ctx, tx, id, "failed")
	})
	if err != nil {
		return Refund{}, fmt.Errorf("fail refund %s: %w", id, classify(err, "refund"))
	}
	if queued {
		s.AnnounceOutbox(ctx)
	}
	return s.RefundByID(ctx, id)
}

// BeginRefundAttempt counts a new attempt at the provider: the first, or a retry of a failed
// refund (which becomes pending again). A refund already pending after its first attempt is
// being attempted (an activity retrying after a transport error): it keeps its attempt, so the
// retry reuses the same provider key.
func (s *Store) BeginRefundAttempt(ctx context.Context, id string) (Refund, error) {
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if _, _, _, err := lockRefund(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE refunds SET attempts = attempts + 1, status = 'pending', updated_at = now()
			WHERE id = $1 AND (status = 'failed' OR attempts = 0)`, id)
		return err
	})
	if err != nil {
		return Refund{}, fmt.Errorf("begin refund attempt %s: %w", id, classify(err, "refund"))
	}
	return s.RefundByID(ctx, id)
}

// RefundPayment names the captured payment a refund gives money back from.
func (s *Store) RefundPayment(ctx context.Context, id string) (provider, intentID string, err error) {
	err = s.Pool.QueryRow(ctx, `
		SELECT p.provider, p.provider_ref FROM refunds r JOIN payments p ON p.order_id = r.order_id AND p.status = 'succeeded'
		WHERE r.id = $1 ORDER BY p.created_at LIMIT 1`, id).Scan(&provider, &intentID)
	if err != nil {
		return "", "", fmt.Errorf("payment of refund %s: %w", id, classify(err, "captured payment"))
	}
	return provider, intentID, nil
}

// queueRefundNotices tells the customer and each seller of the refunded lines how the refund
// went (outcome "succeeded" or "failed"), once per refund, outcome and attempt.
func queueRefundNotices(ctx context.Context, tx pgx.Tx, id, outcome string) error {
	var customer, orderID, currency string
	var amount int64
	var attempts int
	if err := tx.QueryRow(ctx, `SELECT o.customer_id::text, o.id::text, r.amount_cents, r.currency, r.attempts
		FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = $1`, id).
		Scan(&customer, &orderID, &amount, &currency, &attempts); err != nil {
		return err
	}
	money := fmt.Sprintf("%d.%02d %s", amount/100, amount%100, currency)
	data := map[string]any{"refund_id": id, "order_id": orderID, "amount_cents": amount, "currency": currency}
	subject, text := "Your refund is on its way", "We refunded "+money+" for order "+orderID+"."
	if outcome == "failed" {
		subject, text = "Your refund is delayed", "The payment provider did not accept the refund of "+money+
			" for order "+orderID+" yet. We will retry it; nothing is lost."
	}
	key := fmt.Sprintf("refund:%s:%s:%d", id, outcome, attempts)
	if err := QueueNotice(ctx, tx, Notice{Key: key + ":customer", RecipientID: customer, Kind: "refund_" + outcome,
		Subject: subject, Text: text, Data: data}); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT s.user_id::text FROM refund_lines l JOIN sellers s ON s.id = l.seller_id
		WHERE l.refund_id = $1 ORDER BY 1`, id)
	if err != nil {
		return err
	}
	sellers, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, u := range sellers {
		if err := QueueNotice(ctx, tx, Notice{Key: key + ":" + u, RecipientID: u, Kind: "seller_refund_" + outcome,
			Subject: "Refund " + outcome + " for order " + orderID,
			Text:    "A refund of " + money + " for order " + orderID + " " + outcome + ".", Data: data}); err != nil {
			return err
		}
	}
	return nil
}
