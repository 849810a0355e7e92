package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The checkout saga's steps. Each runs in one transaction, locks the order row first, and is
// idempotent: an activity retried after a crash finds its work done and reports the same result.

// ReserveResult says whether every line of the order is now held.
type ReserveResult struct {
	Reserved bool
	// Status is the order's status after the step (awaiting_payment when reserved).
	Status string
	// CancelReason is set when the order was found canceled already.
	CancelReason string
	// Short lists the products that lacked stock (or are no longer for sale) when not reserved.
	Short []int64
	// Reason is the cancel reason when not reserved: ReasonOutOfStock or ReasonPromotionUnavailable.
	Reason string
}

// errShort aborts a reservation transaction so nothing stays held when one line is short.
var errShort = errors.New("short of stock")

// ReserveOrder holds stock for every line of a pending order, all or nothing: one conditional
// UPDATE per product, in product-id order so concurrent checkouts never deadlock. Held stock
// expires at expiresAt unless the order is placed or released first.
func (s *Store) ReserveOrder(ctx context.Context, orderID string, expiresAt time.Time) (ReserveResult, error) {
	var res ReserveResult
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		res = ReserveResult{}
		status, err := lockOrderFor(ctx, tx, orderID, MovementReservation)
		if err != nil {
			return err
		}
		if status != OrderPending { // a retry after the reservation committed, or already decided
			res.Status = status
			if status == OrderCanceled {
				if err := tx.QueryRow(ctx, `SELECT cancel_reason FROM orders WHERE id = $1`, orderID).Scan(&res.CancelReason); err != nil {
					return err
				}
			}
			res.Reserved = status == OrderAwaitingPayment || status == OrderPlaced
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT product_id, quantity FROM order_items WHERE order_id = $1 ORDER BY product_id`, orderID)
		if err != nil {
			return err
		}
		type line struct {
			product int64
			qty     int
		}
		lines, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (line, error) {
			var l line
			return l, r.Scan(&l.product, &l.qty)
		})
		if err != nil {
			return err
		}
		for _, l := range lines {
			tag, err := tx.Exec(ctx, `
				UPDATE inventory i SET reserved = i.reserved + $2, updated_at = now()
				FROM products p
				WHERE i.product_id = $1 AND p.id = i.product_id AND p.status = 'active'
				  AND i.on_hand - i.reserved >= $2`, l.product, l.qty)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				res.Short = append(res.Short, l.product)
			}
		}
		if len(res.Short) > 0 {
			return errShort
		}
		for _, l := range lines {
			if _, err := tx.Exec(ctx, `
				INSERT INTO reservations (order_id, product_id, quantity, expires_at) VALUES ($1, $2, $3, $4)`,
				orderID, l.product, l.qty, expiresAt); err != nil {
				return err
			}
		}
		// Last, so every reserving transaction locks inventory rows, then the promotion's (one
		// order of locks, no deadlock), and holds the promotion's row only until it commits.
		if err := claimPromotion(ctx, tx, orderID); err != nil {
			return err
		}
		res.Reserved, res.Status = true, OrderAwaitingPayment
		return setOrderStatus(ctx, tx, orderID, OrderPending, OrderAwaitingPayment, nil, "stock reserved")
	})
	if errors.Is(err, errShort) {
		return ReserveResult{Reserved: false, Status: OrderPending, Short: res.Short, Reason: ReasonOutOfStock}, nil
	}
	if errors.Is(err, errNoPromotionUse) {
		return ReserveResult{Reserved: false, Status: OrderPending, Reason: ReasonPromotionUnavailable}, nil
	}
	if err != nil {
		return ReserveResult{}, fmt.Errorf("reserve order %s: %w", orderID, classify(err, "order"))
	}
	return res, nil
}

// OrderAmount is what a charge for the order must be, computed from the database.
type OrderAmount struct {
	CustomerID    string
	TotalCents    int64
	Currency      string
	PaymentMethod string
	Status        string
}

// OrderAmountOf reads an order's server-computed total and payment method.
func (s *Store) OrderAmountOf(ctx context.Context, orderID string) (OrderAmount, error) {
	var a OrderAmount
	err := s.Pool.QueryRow(ctx, `SELECT customer_id, total_cents, currency, payment_method, status FROM orders WHERE id = $1`, orderID).
		Scan(&a.CustomerID, &a.TotalCents, &a.Currency, &a.PaymentMethod, &a.Status)
	if err != nil {
		return OrderAmount{}, fmt.Errorf("order amount %s: %w", orderID, classify(err, "order"))
	}
	return a, nil
}

// PaymentRecord is a payment's state as the provider last reported it.
type PaymentRecord struct {
	Provider    string
	IntentID    string
	Status      string // requires_action, processing, succeeded, failed, canceled, refunded
	AmountCents int64
	Currency    string
	Note        string // e.g. the decline code
}

// RecordPayment upserts the order's payment row and links the intent to the order, adding a
// timeline event when the status changes.
func (s *Store) RecordPayment(ctx context.Context, orderID string, p PaymentRecord) error {
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockOrder(ctx, tx, orderID); err != nil {
			return err
		}
		var previous *string
		err := tx.QueryRow(ctx, `SELECT status FROM payments WHERE provider = $1 AND provider_ref = $2`, p.Provider, p.IntentID).Scan(&previous)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if previous != nil && *previous == p.Status {
			return nil
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO payments (order_id, provider, provider_ref, status, amount_cents, currency)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (provider, provider_ref) DO UPDATE SET status = EXCLUDED.status, updated_at = now()`,
			orderID, p.Provider, p.IntentID, p.Status, p.AmountCents, p.Currency); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE orders SET payment_intent_id = $2, updated_at = now() WHERE id = $1`, orderID, p.IntentID); err != nil {
			return err
		}
		note := "payment " + p.Status
		if p.Note != "" {
			note += ": " + p.Note
		}
		return addOrderEvent(ctx, tx, orderID, "payment_"+p.Status, note)
	})
	if err != nil {
		return fmt.Errorf("record payment %s for order %s: %w", p.IntentID, orderID, classify(err, "payment"))
	}
	return nil
}

// ConfirmResult says how confirming ended.
type ConfirmResult struct {
	Placed bool
	// Status is the order's status when it was not placed by this call or an earlier one
	// (canceled: the money must go back).
	Status string
}

// ConfirmOrder places a paid order: its held stock is taken for good, the sale is recorded as
// sales facts, the customer is notified, and each product whose available stock falls to its
// threshold raises one low-stock alert for its seller.
func (s *Store) ConfirmOrder(ctx context.Context, orderID string) (ConfirmResult, error) {
	var res ConfirmResult
	queued := false
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		queued = false // a retried transaction starts over
		status, err := lockOrderFor(ctx, tx, orderID, MovementSale)
		if err != nil {
			return err
		}
		res = ConfirmResult{Status: status}
		switch status {
		case OrderPlaced, OrderShipped, OrderDelivered, OrderPartiallyRefunded, OrderRefunded:
			res.Placed = true
			return nil
		case OrderAwaitingPayment:
		default: // pending (nothing held) or canceled: cannot place
			return nil
		}
		// One statement: the held stock leaves the shelf, its reservations and the promotion's
		// held use are committed.
		rows, err := tx.Query(ctx, `
			WITH r AS (
				UPDATE reservations SET status = 'committed', updated_at = now()
				WHERE order_id = $1 AND status = 'held' RETURNING product_id, quantity),
			p AS (
				UPDATE promotion_redemptions SET status = 'committed', updated_at = now()
				WHERE order_id = $1 AND status = 'held')
			UPDATE inventory i SET on_hand = i.on_hand - r.quantity, reserved = i.reserved - r.quantity, updated_at = now()
			FROM r WHERE i.product_id = r.product_id
			RETURNING i.product_id, i.on_hand - i.reserved, i.low_stock_threshold, i.low_stock_alerted`, orderID)
		if err != nil {
			return err
		}
		type level struct {
			product          int64
			available, limit int
			alerted          bool
		}
		levels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (level, error) {
			var l level
			return l, r.Scan(&l.product, &l.available, &l.limit, &l.alerted)
		})
		if err != nil {
			return err
		}
		for _, l := range levels {
			if l.alerted || l.available > l.limit {
				continue
			}
			if err := raiseLowStock(ctx, tx, l.product, l.available, l.limit); err != nil {
				return err
			}
		}
		if err := recordOrderSales(ctx, tx, orderID); err != nil {
			return err
		}
		if err := queueOrderNotification(ctx, tx, orderID, "order_placed"); err != nil {
			return err
		}
		queued = true
		res = ConfirmResult{Placed: true, Status: OrderPlaced}
		return setOrderStatus(ctx, tx, orderID, status, OrderPlaced, nil, "order placed")
	})
	if err != nil {
		return ConfirmResult{}, fmt.Errorf("confirm order %s: %w", orderID, classify(err, "order"))
	}
	if queued {
		s.AnnounceOutbox(ctx)
	}
	return res, nil
}

// ReleaseResult says how releasing ended.
type ReleaseResult struct {
	Canceled bool
	// Status is the order's status afterwards; placed (or later) means it was not canceled.
	Status string
}

// ReleaseOrder cancels an order that was not placed: its held stock goes back on sale and the
// customer is told why. Releasing a canceled order again is a no-op; a placed one is refused
// (Canceled false), since its stock is sold and only a refund can undo it.
func (s *Store) ReleaseOrder(ctx context.Context, orderID, reason string) (ReleaseResult, error) {
	var res ReleaseResult
	queued := false
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		queued = false // a retried transaction starts over
		status, err := lockOrderFor(ctx, tx, orderID, MovementRelease)
		if err != nil {
			return err
		}
		if status == OrderCanceled {
			res = ReleaseResult{Canceled: true, Status: status}
			return nil
		}
		if !Cancelable(status) {
			res = ReleaseResult{Status: status}
			return nil
		}
		if err := releaseHeld(ctx, tx, `r.order_id = $1`, orderID); err != nil {
			return err
		}
		if err := releasePromotion(ctx, tx, orderID); err != nil {
			return err
		}
		if err := queueOrderNotification(ctx, tx, orderID, "order_canceled"); err != nil {
			return err
		}
		queued = true
		res = ReleaseResult{Canceled: true, Status: OrderCanceled}
		return setOrderStatus(ctx, tx, orderID, status, OrderCanceled, &reason, "order canceled: "+reason)
	})
	if err != nil {
		return ReleaseResult{}, fmt.Errorf("release order %s: %w", orderID, classify(err, "order"))
	}
	if queued {
		s.AnnounceOutbox(ctx)
	}
	return res, nil
}

// ExpiredOrder is an order holding stock past its expiry, with the payment it may have started.
type ExpiredOrder struct {
	OrderID  string
	IntentID string // empty when no payment was started
}

// ExpiredReservationOrders lists orders holding stock past its expiry, oldest first.
func (s *Store) ExpiredReservationOrders(ctx context.Context, now time.Time, limit int) ([]ExpiredOrder, error) {
	rows, err := s.Pool.Query(ctx, `
		SELECT r.order_id::text, coalesce(o.payment_intent_id, '')
		FROM reservations r JOIN orders o ON o.id = r.order_id
		WHERE r.status = 'held' AND r.expires_at < $1
		GROUP BY r.order_id, o.payment_intent_id ORDER BY min(r.expires_at) LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("list expired reservations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExpiredOrder, error) {
		var e ExpiredOrder
		return e, r.Scan(&e.OrderID, &e.IntentID)
	})
	if err != nil {
		return nil, fmt.Errorf("list expired reservations: %w", err)
	}
	return out, nil
}

// StalePendingOrders lists orders still pending (no saga has reserved for them) created before
// olderThan: their saga never started, e.g. Temporal was down when the customer checked out.
func (s *Store) StalePendingOrders(ctx context.Context, olderThan time.Time, limit int) ([]StaleOrder, error) {
	rows, err := s.Pool.Query(ctx, `
		SELECT id::text, customer_id::text FROM orders WHERE status = 'pending' AND created_at < $1
		ORDER BY created_at LIMIT $2`, olderThan, limit)
	if err != nil {
		return nil, fmt.Errorf("list stale pending orders: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StaleOrder, error) {
		var o StaleOrder
		return o, r.Scan(&o.OrderID, &o.CustomerID)
	})
	if err != nil {
		return nil, fmt.Errorf("list stale pending orders: %w", err)
	}
	return out, nil
}

// StaleOrder identifies an order whose saga may need starting.
type StaleOrder struct{ OrderID, CustomerID string }

// releaseHeld returns held stock for the reservations matching where (over alias r).
func releaseHeld(ctx context.Context, tx pgx.Tx, where string, args ...any) error {
	if _, err := tx.Exec(ctx, `
		WITH released AS (
			UPDATE reservations r SET status = 'released', updated_at = now()
			WHERE r.status = 'held' AND `+where+`
			RETURNING r.product_id, r.quantity)
		UPDATE inventory i SET reserved = i.reserved - x.quantity, updated_at = now()
		FROM (SELECT product_id, sum(quantity) AS quantity FROM released GROUP BY product_id ORDER BY product_id) x
		WHERE i.product_id = x.product_id`, args...); err != nil {
		return err
	}
	return nil
}

// queueOrderNotification queues a notification of kind about the order for its customer, once.
func queueOrderNotification(ctx context.Context, tx pgx.Tx, orderID, kind string) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO notification_outbox (key, recipient_id, kind, payload)
		SELECT o.customer_id::text || ':' || $2 || ':' || o.id::text, o.customer_id, $2,
		       jsonb_build_object('order_id', o.id, 'status', o.status, 'total_cents', o.total_cents, 'currency', o.currency)
		FROM orders o WHERE o.id = $1
		ON CONFLICT (key) DO NOTHING`, orderID, kind)
	return err
}

// raiseLowStock marks the product alerted and queues one low-stock alert for its seller.
func raiseLowStock(ctx context.Context, tx pgx.Tx, productID int64, available, threshold int) error {
	if _, err := tx.Exec(ctx, `UPDATE inventory SET low_stock_alerted = true WHERE product_id = $1`, productID); err != nil {
		return err
	}
	// The key carries the alert's sequence number so each crossing alerts once.
	_, err := tx.Exec(ctx, `
		INSERT INTO notification_outbox (key, recipient_id, kind, payload)
		SELECT s.user_id::text || ':low_stock:' || p.id || ':' ||
		       (SELECT count(*) FROM notification_outbox n WHERE n.kind = 'low_stock' AND n.payload->>'product_id' = p.id::text),
		       s.user_id, 'low_stock',
		       jsonb_build_object('product_id', p.id, 'name', p.name, 'available', $2::int, 'threshold', $3::int)
		FROM products p JOIN sellers s ON s.id = p.seller_id WHERE p.id = $1
		ON CONFLICT (key) DO NOTHING`, productID, available, threshold)
	return err
}
