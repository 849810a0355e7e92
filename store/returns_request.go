package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"shopflow/errs"
)

// NewReturn is a customer's request to return units of delivered lines of one of its orders.
type NewReturn struct {
	OrderID    string
	CustomerID string
	Reason     string
	Lines      []NewReturnLine
	// Window is how long after a line's delivery it may be returned (SHOPFLOW_RETURN_WINDOW).
	Window time.Duration
}

// NewReturnLine asks to return Quantity units of order line LineNo.
type NewReturnLine struct {
	LineNo   int
	Quantity int
	Reason   string
}

// returnableLine is an order line as a return request sees it.
type returnableLine struct {
	no, quantity, returned int
	seller, fulfilment     string
	deliveredAt            *time.Time
	open                   bool // delivered_at + window is still ahead
}

// RequestReturn records the request as one return per seller whose lines it names (each seller
// decides on its own goods), holding the units against the lines, in one transaction. An order
// that is not the customer's is not found; an unknown line is invalid; a line not delivered,
// delivered longer ago than the window, or with fewer units left to return is a conflict.
// Concurrent requests cannot together return more than a line holds: the database refuses it.
func (s *Store) RequestReturn(ctx context.Context, nr NewReturn) ([]Return, error) {
	var out []Return
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		out = nil // a retried transaction starts over
		var customer string
		err := tx.QueryRow(ctx, `SELECT customer_id::text FROM orders WHERE id = $1 FOR UPDATE`, nr.OrderID).Scan(&customer)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && customer != nr.CustomerID) {
			return errs.E(errs.NotFound, "order not found")
		}
		if err != nil {
			return err
		}
		lines, err := returnableLines(ctx, tx, nr.OrderID, nr.Window)
		if err != nil {
			return err
		}
		bySeller, sellers, err := checkReturnLines(nr.Lines, lines)
		if err != nil {
			return err
		}
		for _, seller := range sellers {
			r, err := insertReturn(ctx, tx, nr, seller, bySeller[seller])
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("request return of order %s: %w", nr.OrderID, classifyReturnHold(err))
	}
	return out, nil
}

// returnableLines reads the order's lines by line number.
func returnableLines(ctx context.Context, tx pgx.Tx, orderID string, window time.Duration) (map[int]returnableLine, error) {
	rows, err := tx.Query(ctx, `SELECT line_no, quantity, returned_quantity, seller_id::text, fulfilment, delivered_at,
			coalesce(delivered_at + make_interval(secs => $2) >= now(), false)
		FROM order_items WHERE order_id = $1`, orderID, window.Seconds())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]returnableLine{}
	for rows.Next() {
		var l returnableLine
		if err := rows.Scan(&l.no, &l.quantity, &l.returned, &l.seller, &l.fulfilment, &l.deliveredAt, &l.open); err != nil {
			return nil, err
		}
		out[l.no] = l
	}
	return out, rows.Err()
}

// checkReturnLines validates the requested lines against the order's and groups them by
// seller, sellers in a stable order.
func checkReturnLines(req []NewReturnLine, lines map[int]returnableLine) (map[string][]NewReturnLine, []string, error) {
	if len(req) == 0 {
		return nil, nil, errs.E(errs.Unprocessable, "a return names at least one line").WithDetails("field", "lines")
	}
	bySeller := map[string][]NewReturnLine{}
	var sellers []string
	seen := map[int]bool{}
	for i, rl := range req {
		field := fmt.Sprintf("lines[%d]", i)
		l, ok := lines[rl.LineNo]
		switch {
		case !ok:
			return nil, nil, errs.E(errs.Unprocessable, "the order has no line %d", rl.LineNo).WithDetails("field", field+".line_no")
		case seen[rl.LineNo]:
			return nil, nil, errs.E(errs.Unprocessable, "line %d is named twice", rl.LineNo).WithDetails("field", field+".line_no")
		case rl.Quantity < 1:
			return nil, nil, errs.E(errs.Unprocessable, "quantity must be at least 1").WithDetails("field", field+".quantity")
		case l.fulfilment != FulfilmentDelivered:
			return nil, nil, errs.E(errs.Conflict, "line %d has not been delivered; only delivered lines can be returned", rl.LineNo).
				WithDetails("line_no", rl.LineNo).WithDetails("fulfilment", l.fulfilment)
		case !l.open:
			return nil, nil, errs.E(errs.Conflict, "line %d was delivered more than the return window ago", rl.LineNo).
				WithDetails("line_no", rl.LineNo).WithDetails("delivered_at", l.deliveredAt)
		case rl.Quantity > l.quantity-l.returned:
			return nil, nil, errs.E(errs.Conflict, "line %d has %d units left to return, not %d", rl.LineNo, l.quantity-l.returned, rl.Quantity).
				WithDetails("line_no", rl.LineNo).WithDetails("returnable", l.quantity-l.returned)
		}
		seen[rl.LineNo] = true
		if _, ok := bySeller[l.seller]; !ok {
			sellers = append(sellers, l.seller)
		}
		bySeller[l.seller] = append(bySeller[l.seller], rl)
	}
	for _, s := range sellers {
		slices.SortFunc(bySeller[s], func(a, b NewReturnLine) int { return a.LineNo - b.LineNo })
	}
	return bySeller, sellers, nil
}

// insertReturn writes one seller's return and holds its units against the order's lines.
func insertReturn(ctx context.Context, tx pgx.Tx, nr NewReturn, seller string, lines []NewReturnLine) (Return, error) {
	var id string
	if err := tx.QueryRow(ctx, `INSERT INTO returns (order_id, customer_id, seller_id, reason) VALUES ($1, $2, $3, $4)
		RETURNING id::text`, nr.OrderID, nr.CustomerID, seller, nr.Reason).Scan(&id); err != nil {
		return Return{}, err
	}
	for _, l := range lines {
		if _, err := tx.Exec(ctx, `INSERT INTO return_lines (return_id, order_id, line_no, quantity, reason) VALUES ($1, $2, $3, $4, $5)`,
			id, nr.OrderID, l.LineNo, l.Quantity, l.Reason); err != nil {
			return Return{}, err
		}
		if _, err := tx.Exec(ctx, `UPDATE order_items SET returned_quantity = returned_quantity + $3 WHERE order_id = $1 AND line_no = $2`,
			nr.OrderID, l.LineNo, l.Quantity); err != nil {
			return Return{}, err
		}
	}
	return returnByID(ctx, tx, id)
}

// classifyReturnHold says in the shop's words that a line has no units left to return, when
// the database's check refused the hold (requests raced); other failures are classified as usual.
func classifyReturnHold(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "order_items_returned_within_quantity" {
		return errs.Wrap(err, errs.Conflict, "a line has fewer units left to return than asked for")
	}
	return classify(err, "return")
}
