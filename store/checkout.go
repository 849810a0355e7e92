package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"shopflow/errs"
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
// expires at expiresAt unless the order is placed or released first. The step is three round
// trips inside its transaction: the order locked with its lines read, then every write sent
// in one batch and undone by the rollback when a line is short or the promotion has no use left.
func (s *Store) ReserveOrder(ctx context.Context, orderID string, expiresAt time.Time) (ReserveResult, error) {
	var res ReserveResult
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		res = ReserveResult{}
		status, lines, err := lockOrderLines(ctx, tx, orderID)
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
		b := &pgx.Batch{}
		products, quantities := make([]int64, len(lines)), make([]int32, len(lines))
		for i, l := range lines {
			products[i], quantities[i] = l.product, int32(l.qty)
			b.Queue(`
				UPDATE inventory i SET reserved = i.reserved + $2, updated_at = now()
				FROM products p
				WHERE i.product_id = $1 AND p.id = i.product_id AND p.status = 'active'
				  AND i.on_hand - i.reserved >= $2`, l.product, l.qty).Exec(func(tag pgconn.CommandTag) error {
				if tag.RowsAffected() == 0 {
					res.Short = append(res.Short, l.product)
				}
				return nil
			})
		}
		b.Queue(`
			INSERT INTO reservations (order_id, product_id, quantity, expires_at)
			SELECT $1, l.product_id, l.quantity, $4 FROM unnest($2::bigint[], $3::int[]) AS l(product_id, quantity)`,
			orderID, products, quantities, expiresAt)
		// After the stock, so every reserving transaction locks inventory rows, then the
		// promotion's (one order of locks, no deadlock), and holds the promotion's row only
		// until it commits.
		claim := queueClaimPromotion(b, orderID)
		if err := queueOrderStatus(b, orderID, OrderPending, OrderAwaitingPayment, nil, "stock reserved"); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		if len(res.Short) > 0 {
			return errShort
		}
		if err := claim.finish(ctx, tx); err != nil {
			return err
		}
		res.Reserved, res.Status = true, OrderAwaitingPayment
		return nil
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

// orderLine is a product of an order and how many of it.
type orderLine struct {
	product int64
	qty     int
}

// lockOrderLines locks the order for a reservation, as lockOrderFor, and reads its lines in
// product-id order, in one round trip.
func lockOrderLines(ctx context.Context, tx pgx.Tx, orderID string) (string, []orderLine, error) {
	cause, err := stockCauseJSON(ctx, MovementReservation, orderID)
	if err != nil {
		return "", nil, err
	}
	var status string
	var lines []orderLine
	b := &pgx.Batch{}
	b.Queue(`SELECT status, set_config('shopflow.stock_cause', $2, true) FROM orders WHERE id = $1 FOR UPDATE`, orderID, cause).
		QueryRow(func(row pgx.Row) error {
			var set string
			err := row.Scan(&status, &set)
			if errors.Is(err, pgx.ErrNoRows) {
				return errs.E(errs.NotFound, "order %s not found", orderID)
			}
			return err
		})
	b.Queue(`SELECT product_id, quantity FROM order_items WHERE order_id = $1 ORDER BY product_id`, orderID).
		Query(func(rows pgx.Rows) error {
			var err error
			lines, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (orderLine, error) {
				var l orderLine
				return l, r.Scan(&l.product, &l.qty)
			})
			return err
		})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return "", nil, err
	}
	return status, lines, nil
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
// timeline event when the status changes. The order is locked first, so a webhook and the saga
// recording the same payment take turns; the lock and the writes go in one batch.
func (s *Store) RecordPayment(ctx context.Context, orderID string, p PaymentRecord) error {
	note := "payment " + p.Status
	if p.Note != "" {
		note += ": " + p.Note
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT status FROM orders WHERE id = $1 FOR UPDATE`, orderID).QueryRow(func(row pgx.Row) error {
			var status string
			if err := row.Scan(&status); errors.Is(err, pgx.ErrNoRows) {
				return errs.E(errs.NotFound, "order %s not found", orderID)
			} else {
				return err
			}
		})
		// Nothing is written when the payment already has this status.
		b.Queue(`
			WITH changed AS (
				INSERT INTO payments (order_id, provider, provider_ref, status, amount_cents, currency)
				SELECT $1::uuid, $2::text, $3::text, $4::text, $5::bigint, $6::text
				WHERE NOT EXISTS (SELECT 1 FROM payments WHERE provider = $2 AND provider_ref = $3 AND status = $4)
				ON CONFLICT (provider, provider_ref) DO UPDATE SET status = EXCLUDED.status, updated_at = now()
				RETURNING order_id),
			linked AS (
				UPDATE orders SET payment_intent_id = $3, updated_at = now() WHERE id = $1 AND EXISTS (SELECT 1 FROM changed))
			INSERT INTO order_events (order_id, status, note) SELECT $1, 'payment_' || $4, $7 FROM changed`,
			orderID, p.Provider, p.IntentID, p.Status, p.AmountCents, p.Currency, note)
		return tx.SendBatch(ctx, b).Close()
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
		// One batch: the held stock leaves the shelf, its reservations and the promotion's held
		// use are committed; the sale is counted, the customer told, the order placed.
		type level struct {
			product          int64
			available, limit int
			alerted          bool
		}
		var levels []level
		b := &pgx.Batch{}
		b.Queue(`
			WITH r AS (
				UPDATE reservations SET status = 'committed', updated_at = now()
				WHERE order_id = $1 AND status = 'held' RETURNING product_id, quantity),
			p AS (
				UPDATE promotion_redemptions SET status = 'committed', updated_at = now()
				WHERE order_id = $1 AND status = 'held')
			UPDATE inventory i SET on_hand = i.on_hand - r.quantity, reserved = i.reserved - r.quantity, updated_at = now()
			FROM r WHERE i.product_id = r.product_id
			RETURNING i.product_id, i.on_hand - i.reserved, i.low_stock_threshold, i.low_stock_alerted`, orderID).
			Query(func(rows pgx.Rows) error {
				var err error
				levels, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (level, error) {
					var l level
					return l, r.Scan(&l.product, &l.available, &l.limit, &l.alerted)
				})
				return err
			})
		b.Queue(orderSalesSQL, orderID)
		b.Queue(orderNotificationSQL, orderID, "order_placed")
		if err := queueOrderStatus(b, orderID, status, OrderPlaced, nil, "order placed"); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
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
		queued = true
		res = ConfirmResult{Placed: true, Status: OrderPlaced}
		return nil
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
	_, err := tx.Exec(ctx, orderNotificationSQL, orderID, kind)
	return err
}

// orderNotificationSQL is queueOrderNotification's statement, over the order ($1) and the kind ($2).
const orderNotificationSQL = `
	INSERT INTO notification_outbox (key, recipient_id, kind, payload)
	SELECT o.customer_id::text || ':' || $2 || ':' || o.id::text, o.customer_id, $2,
	       jsonb_build_object('order_id', o.id, 'status', o.status, 'total_cents', o.total_cents, 'currency', o.currency)
	FROM orders o WHERE o.id = $1
	ON CONFLICT (key) DO NOTHING`

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
