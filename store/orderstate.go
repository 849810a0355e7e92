package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"shopflow/errs"
)

// Order statuses. An order moves pending -> awaiting_payment -> placed -> shipped -> delivered;
// any status before placed may become canceled (with a reason). Once placed, refunds of some of
// its units make it partially_refunded, of all of them refunded; a partially refunded order goes
// on being fulfilled (its other lines ship and are delivered) and refunded.
const (
	OrderPending         = "pending"
	OrderAwaitingPayment = "awaiting_payment"
	OrderPlaced          = "placed"
	OrderShipped         = "shipped"
	OrderDelivered       = "delivered"
	OrderCanceled        = "canceled"
	OrderRefunded        = "refunded"
	// OrderPartiallyRefunded: some, not all, of the order's units were refunded.
	OrderPartiallyRefunded = "partially_refunded"
)

// Cancel reasons recorded on canceled orders.
const (
	ReasonOutOfStock        = "out_of_stock"
	ReasonPaymentDeclined   = "payment_declined"
	ReasonPaymentTimeout    = "payment_timeout"
	ReasonPaymentError      = "payment_error"
	ReasonCanceledByUser    = "canceled_by_customer"
	ReasonCanceledByAdmin   = "canceled_by_admin"
	ReasonCanceledByOps     = "canceled_by_operator"
	ReasonReservationExpiry = "reservation_expired"
	ReasonSystemError       = "system_error"
	// ReasonPromotionUnavailable: the order's promotion had no use left (or had ended) when
	// the saga came to claim one; the shopper is not charged a price they were not quoted.
	ReasonPromotionUnavailable = "promotion_unavailable"
	// Fraud screening: scored above the reject threshold, rejected by a reviewer, or not
	// reviewed in time.
	ReasonFraudSuspected     = "fraud_suspected"
	ReasonFraudRejected      = "fraud_rejected"
	ReasonFraudReviewTimeout = "fraud_review_timeout"
)

// orderTransitions is the one table of legal order status changes.
var orderTransitions = map[string][]string{
	OrderPending:         {OrderAwaitingPayment, OrderPlaced, OrderCanceled},
	OrderAwaitingPayment: {OrderPlaced, OrderCanceled},
	OrderPlaced:          {OrderShipped, OrderPartiallyRefunded, OrderRefunded},
	OrderShipped:         {OrderDelivered, OrderPartiallyRefunded, OrderRefunded},
	OrderDelivered:       {OrderPartiallyRefunded, OrderRefunded},
	// A partially refunded order's other lines still ship and are delivered.
	OrderPartiallyRefunded: {OrderShipped, OrderDelivered, OrderRefunded},
	OrderCanceled:          {},
	OrderRefunded:          {},
}

// CanTransition reports whether an order may move from one status to another.
func CanTransition(from, to string) bool {
	return slices.Contains(orderTransitions[from], to)
}

// CheckTransition is CanTransition as an error: an illegal move is a conflict (409).
func CheckTransition(from, to string) error {
	if CanTransition(from, to) {
		return nil
	}
	return errs.E(errs.Conflict, "an order that is %s cannot become %s", from, to).
		WithDetails("status", from).WithDetails("requested", to)
}

// Cancelable reports whether an order in status can still be canceled (it is not yet placed).
func Cancelable(status string) bool { return CanTransition(status, OrderCanceled) }

// lockOrder locks the order row for the transaction and returns its status.
func lockOrder(ctx context.Context, tx pgx.Tx, orderID string) (string, error) {
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM orders WHERE id = $1 FOR UPDATE`, orderID).Scan(&status); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return "", errs.E(errs.NotFound, "order %s not found", orderID)
		}
		return "", err
	}
	return status, nil
}

// setOrderStatus moves an order through the state machine and adds the timeline event, in one
// statement: every checkout changes status twice, each a round trip fewer.
func setOrderStatus(ctx context.Context, tx pgx.Tx, orderID, from, to string, reason *string, note string) error {
	b := &pgx.Batch{}
	if err := queueOrderStatus(b, orderID, from, to, reason, note); err != nil {
		return err
	}
	return tx.SendBatch(ctx, b).Close()
}

// queueOrderStatus queues setOrderStatus's statement on b, so a step can send it with others.
func queueOrderStatus(b *pgx.Batch, orderID, from, to string, reason *string, note string) error {
	if err := CheckTransition(from, to); err != nil {
		return err
	}
	b.Queue(`
		WITH o AS (UPDATE orders SET status = $2, cancel_reason = $3, updated_at = now() WHERE id = $1 RETURNING id)
		INSERT INTO order_events (order_id, status, note) SELECT id, $2, $4 FROM o`, orderID, to, reason, note).
		Exec(func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() != 1 {
				return errs.E(errs.NotFound, "order %s not found", orderID)
			}
			return nil
		})
	return nil
}

// addOrderEvent adds an entry to the order's timeline.
func addOrderEvent(ctx context.Context, tx pgx.Tx, orderID, status, note string) error {
	_, err := tx.Exec(ctx, `INSERT INTO order_events (order_id, status, note) VALUES ($1, $2, $3)`, orderID, status, note)
	return err
}

// Fulfilment states of an order line. Each line's seller ships its own goods, so lines move on
// their own: pending -> shipped -> delivered; the order follows when every line has. A pending
// line whose every unit was canceled is canceled: it leaves fulfilment, and shipping and
// delivering the order ignore it.
const (
	FulfilmentPending   = "pending"
	FulfilmentShipped   = "shipped"
	FulfilmentDelivered = "delivered"
	FulfilmentCanceled  = "canceled"
)

// lineStates are a line's fulfilment states in the order it goes through them, one at a time.
func lineStates() []string {
	return []string{FulfilmentPending, FulfilmentShipped, FulfilmentDelivered}
}

// lineReached reports whether a line in fulfilment state is at target or past it.
func lineReached(state, target string) bool {
	i, j := slices.Index(lineStates(), state), slices.Index(lineStates(), target)
	return i >= 0 && j >= 0 && i >= j
}

// lineMovesTo reports whether a line in fulfilment state moves to `to` in one step.
func lineMovesTo(state, to string) bool {
	i, j := slices.Index(lineStates(), state), slices.Index(lineStates(), to)
	return i >= 0 && j == i+1
}

// fulfilmentStep is an order status that follows the order's lines: the order takes it, when
// the state machine allows, once every line has reached the line state.
type fulfilmentStep struct {
	line, order  string
	note         string // the timeline entry
	notification string // the kind queued for the customer
}

// fulfilmentSteps are the statuses an order takes from its lines, in the order it takes them.
func fulfilmentSteps() []fulfilmentStep {
	return []fulfilmentStep{
		{FulfilmentShipped, OrderShipped, "every line has shipped", "order_shipped"},
		{FulfilmentDelivered, OrderDelivered, "every line was delivered", "order_delivered"},
	}
}

// checkOrderFulfils says whether lines of an order in status may move to line state `to`. They
// may while the order can still take, as its next transition, the order status of `to` or of a
// fulfilment step before it: lines ship while the order could ship next, and are delivered while
// it could ship or be delivered next. Otherwise the refusal is the state machine's own.
func checkOrderFulfils(status, to string) error {
	steps := fulfilmentSteps()
	last := slices.IndexFunc(steps, func(s fulfilmentStep) bool { return s.line == to })
	if last < 0 {
		return fmt.Errorf("%q is not a fulfilment state a line can move to", to)
	}
	for _, step := range steps[:last+1] {
		if CanTransition(status, step.order) {
			return nil
		}
	}
	return CheckTransition(status, steps[last].order)
}
