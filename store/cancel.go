package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"shopflow/errs"
)

// Cancellation states: requested until its refund succeeded (refund_failed while the provider
// refuses it), then completed.
const (
	CancellationRequested    = "requested"
	CancellationRefundFailed = "refund_failed"
	CancellationCompleted    = "completed"
)

// CancelLine is a number of units of one order line canceled.
type CancelLine struct {
	LineNo   int `json:"line_no"`
	Quantity int `json:"quantity"`
}

// NewCancellation asks to cancel units of a placed order's lines that have not shipped.
type NewCancellation struct {
	OrderID string
	// SellerID is the seller canceling its own lines; "" is an admin, who may cancel any line.
	SellerID    string
	RequestedBy string
	Reason      string
	// All cancels every unit not shipped or canceled yet (of the seller's lines, for a seller);
	// otherwise Lines say which.
	All   bool
	Lines []CancelLine
}

// Cancellation is a recorded cancellation of placed lines; the CancelPlaced workflow refunds,
// restocks and notifies.
type Cancellation struct {
	ID        string       `json:"id"`
	OrderID   string       `json:"order_id"`
	SellerID  string       `json:"seller_id,omitempty"`
	Status    string       `json:"status"`
	Reason    string       `json:"reason"`
	RefundID  string       `json:"refund_id,omitempty"`
	Lines     []CancelLine `json:"lines"`
	CreatedAt time.Time    `json:"created_at"`
}

// cancelLineState is an order line as a cancellation sees it.
type cancelLineState struct {
	no, quantity, canceled int
	seller, fulfilment     string
}

// CreateCancellation records the cancellation and takes its units from the lines, in one
// transaction under the order's lock: lines fully canceled leave fulfilment at once, so they can
// no longer ship, and the CHECK on canceled_quantity refuses canceling a unit twice however many
// requests race. A seller naming another seller's line is forbidden; a line that shipped, or
// more units than are left, is a conflict.
func (s *Store) CreateCancellation(ctx context.Context, c NewCancellation) (Cancellation, error) {
	if !c.All && len(c.Lines) == 0 {
		return Cancellation{}, errs.E(errs.Invalid, "name the lines to cancel, or all")
	}
	if len(c.Reason) > 2000 {
		return Cancellation{}, errs.E(errs.Invalid, "reason is longer than 2000 characters")
	}
	var id string
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		status, err := lockOrder(ctx, tx, c.OrderID)
		if err != nil {
			return err
		}
		lines, err := cancelLineStates(ctx, tx, c.OrderID)
		if err != nil {
			return err
		}
		if c.SellerID != "" && !slices.ContainsFunc(lines, func(l cancelLineState) bool { return l.seller == c.SellerID }) {
			return errs.E(errs.NotFound, "order not found")
		}
		if status != OrderPlaced && status != OrderPartiallyRefunded {
			return errs.E(errs.Conflict, "an order that is %s cannot be canceled line by line; only placed lines that have not shipped can", status).
				WithDetails("status", status)
		}
		want, err := c.linesToCancel(lines)
		if err != nil {
			return err
		}
		if id, err = insertCancellation(ctx, tx, c, want); err != nil {
			return err
		}
		return followRemainingLines(ctx, tx, c.OrderID, status)
	})
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.ConstraintName == "order_items_canceled_within_quantity" {
			err = errs.Wrap(err, errs.Conflict, "more units than the line has left to cancel")
		}
		return Cancellation{}, fmt.Errorf("cancel lines of order %s: %w", c.OrderID, classify(err, "cancellation"))
	}
	return s.CancellationByID(ctx, id)
}

func cancelLineStates(ctx context.Context, tx pgx.Tx, orderID string) ([]cancelLineState, error) {
	rows, err := tx.Query(ctx, `SELECT line_no, quantity, canceled_quantity, seller_id::text, fulfilment
		FROM order_items WHERE order_id = $1 ORDER BY line_no`, orderID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (cancelLineState, error) {
		var l cancelLineState
		return l, r.Scan(&l.no, &l.quantity, &l.canceled, &l.seller, &l.fulfilment)
	})
}

// linesToCancel checks the request against the order's lines and says which units to cancel.
func (c NewCancellation) linesToCancel(lines []cancelLineState) ([]CancelLine, error) {
	byNo := map[int]cancelLineState{}
	for _, l := range lines {
		byNo[l.no] = l
	}
	if c.All {
		var all []CancelLine
		for _, l := range lines {
			if (c.SellerID == "" || l.seller == c.SellerID) && l.fulfilment == FulfilmentPending && l.quantity > l.canceled {
				all = append(all, CancelLine{LineNo: l.no, Quantity: l.quantity - l.canceled})
			}
		}
		if len(all) == 0 {
			return nil, errs.E(errs.Conflict, "no line is left to cancel: every line has shipped or was canceled")
		}
		return all, nil
	}
	seen := map[int]bool{}
	for _, w := range c.Lines {
		l, ok := byNo[w.LineNo]
		switch {
		case w.Quantity < 1 || seen[w.LineNo]:
			return nil, errs.E(errs.Invalid, "each line is named once, with a quantity of at least 1").
				WithDetails("line_no", w.LineNo).WithDetails("quantity", w.Quantity)
		case !ok:
			return nil, errs.E(errs.Invalid, "the order has no line %d", w.LineNo).WithDetails("line_no", w.LineNo)
		case c.SellerID != "" && l.seller != c.SellerID:
			return nil, errs.E(errs.Forbidden, "line %d is another seller's", w.LineNo).WithDetails("line_no", w.LineNo)
		case l.fulfilment != FulfilmentPending:
			return nil, errs.E(errs.Conflict, "line %d is %s; only lines that have not shipped can be canceled", w.LineNo, l.fulfilment).
				WithDetails("line_no", w.LineNo).WithDetails("fulfilment", l.fulfilment)
		case w.Quantity > l.quantity-l.canceled:
			return nil, errs.E(errs.Conflict, "line %d has %d units left to cancel, not %d", w.LineNo, l.quantity-l.canceled, w.Quantity).
				WithDetails("line_no", w.LineNo).WithDetails("left", l.quantity-l.canceled)
		}
		seen[w.LineNo] = true
	}
	return c.Lines, nil
}

func insertCancellation(ctx context.Context, tx pgx.Tx, c NewCancellation, lines []CancelLine) (string, error) {
	var id string
	if err := tx.QueryRow(ctx, `INSERT INTO cancellations (order_id, seller_id, requested_by, reason)
		VALUES ($1, nullif($2, '')::uuid, nullif($3, '')::uuid, $4) RETURNING id`,
		c.OrderID, c.SellerID, c.RequestedBy, c.Reason).Scan(&id); err != nil {
		return "", err
	}
	for _, l := range lines {
		if _, err := tx.Exec(ctx, `INSERT INTO cancellation_lines (cancellation_id, order_id, line_no, quantity)
			VALUES ($1, $2, $3, $4)`, id, c.OrderID, l.LineNo, l.Quantity); err != nil {
			return "", err
		}
		if _, err := tx.Exec(ctx, `UPDATE order_items SET canceled_quantity = canceled_quantity + $3,
			fulfilment = CASE WHEN canceled_quantity + $3 = quantity THEN 'canceled' ELSE fulfilment END
			WHERE order_id = $1 AND line_no = $2`, c.OrderID, l.LineNo, l.Quantity); err != nil {
			return "", err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE orders SET updated_at = now() WHERE id = $1`, c.OrderID); err != nil {
		return "", err
	}
	return id, addOrderEvent(ctx, tx, c.OrderID, "lines_canceled", cancelNote(lines, c.Reason))
}

// followRemainingLines moves the order on when the lines left after a cancellation have all
// shipped (or been delivered) already: canceling the last pending line ships the order. An
// order with no line left keeps its status; its refund makes it refunded.
func followRemainingLines(ctx context.Context, tx pgx.Tx, orderID, status string) error {
	lines, err := fulfilmentLines(ctx, tx, orderID)
	if err != nil {
		return err
	}
	lines = slices.DeleteFunc(lines, func(l fulfilmentLine) bool { return l.fulfilment == FulfilmentCanceled })
	if len(lines) == 0 {
		return nil
	}
	_, err = orderFollowsLines(ctx, tx, orderID, status, lines)
	return err
}

func cancelNote(lines []CancelLine, reason string) string {
	note := "canceled"
	for i, l := range lines {
		sep := ", "
		if i == 0 {
			sep = " "
		}
		note += fmt.Sprintf("%sline %d x%d", sep, l.LineNo, l.Quantity)
	}
	if reason != "" {
		note += ": " + reason
	}
	return note
}

// CancellationByID returns a cancellation with its lines.
func (s *Store) CancellationByID(ctx context.Context, id string) (Cancellation, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Cancellation{}, errs.E(errs.NotFound, "cancellation %s not found", id)
	}
	var c Cancellation
	err := s.Pool.QueryRow(ctx, `SELECT id::text, order_id::text, coalesce(seller_id::text, ''), status, reason,
		coalesce(refund_id::text, ''), created_at FROM cancellations WHERE id = $1`, id).
		Scan(&c.ID, &c.OrderID, &c.SellerID, &c.Status, &c.Reason, &c.RefundID, &c.CreatedAt)
	if err != nil {
		return Cancellation{}, fmt.Errorf("cancellation %s: %w", id, classify(err, "cancellation"))
	}
	rows, err := s.Pool.Query(ctx, `SELECT line_no, quantity FROM cancellation_lines WHERE cancellation_id = $1 ORDER BY line_no`, id)
	if err == nil {
		c.Lines, err = pgx.CollectRows(rows, pgx.RowToStructByPos[CancelLine])
	}
	if err != nil {
		return Cancellation{}, fmt.Errorf("cancellation %s lines: %w", id, err)
	}
	return c, nil
}
