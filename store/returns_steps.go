package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// DecideReturn approves or rejects a requested return, as its seller or an admin (party's
// CustomerID empty), with a note for the customer. Approving sets ship_by shipWindow ahead;
// rejecting gives the units back to the order's lines.
func (s *Store) DecideReturn(ctx context.Context, id string, party ReturnParty, approve bool, note string, shipWindow time.Duration) (Return, error) {
	if party.CustomerID != "" {
		return Return{}, errs.E(errs.Forbidden, "only the seller or an admin decides on a return")
	}
	to := ReturnRejected
	if approve {
		to = ReturnApproved
	}
	return s.moveReturn(ctx, id, party, to, func(tx pgx.Tx, r Return) error {
		_, err := tx.Exec(ctx, `UPDATE returns SET decision_note = $2,
			ship_by = CASE WHEN $3 THEN now() + make_interval(secs => $4) END WHERE id = $1`,
			id, note, approve, shipWindow.Seconds())
		return err
	})
}

// ShipReturn records that the customer sent the goods back, with the carrier's tracking.
func (s *Store) ShipReturn(ctx context.Context, id, customerID, tracking string) (Return, error) {
	return s.moveReturn(ctx, id, ReturnParty{CustomerID: customerID}, ReturnShipped, func(tx pgx.Tx, r Return) error {
		_, err := tx.Exec(ctx, `UPDATE returns SET tracking = $2 WHERE id = $1`, id, tracking)
		return err
	})
}

// CancelReturn withdraws a return its customer has not shipped yet.
func (s *Store) CancelReturn(ctx context.Context, id, customerID string) (Return, error) {
	return s.moveReturn(ctx, id, ReturnParty{CustomerID: customerID}, ReturnCanceled, nil)
}

// ExpireReturn expires a return that was neither decided nor shipped back in time. It reports
// false, changing nothing, when the return has moved on meanwhile (shipped, decided, canceled):
// the workflow's timer and a customer's click may race, and the click wins.
func (s *Store) ExpireReturn(ctx context.Context, id string) (Return, bool, error) {
	r, err := s.moveReturn(ctx, id, ReturnParty{}, ReturnExpired, nil)
	if errs.Is(err, errs.Conflict) {
		r, err = s.ReturnByID(ctx, id)
		return r, false, err
	}
	return r, err == nil, err
}

// ReceivedLine is what came back of one line of a return: Received units, Restock of which go
// back to stock.
type ReceivedLine struct {
	LineNo   int
	Received int
	Restock  int
}

// ReceiveReturn records, as the return's seller or an admin, what came back of a shipped
// return: per line the units received and how many of them go back to stock. Lines not named
// came back with nothing. Units not received are given back to the order's lines. Restocking
// runs under the stock cause "return", so the stock ledger names this return.
func (s *Store) ReceiveReturn(ctx context.Context, id string, party ReturnParty, lines []ReceivedLine) (Return, error) {
	if party.CustomerID != "" {
		return Return{}, errs.E(errs.Forbidden, "only the seller or an admin receives a return")
	}
	var orderID string
	if err := s.Pool.QueryRow(ctx, `SELECT order_id::text FROM returns WHERE id = $1`, id).Scan(&orderID); err != nil {
		return Return{}, fmt.Errorf("receive return %s: %w", id, classify(err, "return"))
	}
	ctx = WithStockCause(ctx, StockCause{Kind: MovementReturn, OrderID: orderID, ReturnID: id})
	return s.moveReturn(ctx, id, party, ReturnReceived, func(tx pgx.Tx, r Return) error {
		return receiveLines(ctx, tx, r, lines)
	})
}

// receiveLines checks and records the received lines, restocks, and releases what did not come.
func receiveLines(ctx context.Context, tx pgx.Tx, r Return, lines []ReceivedLine) error {
	held, err := returnLinesOf(ctx, tx, []string{r.ID})
	if err != nil {
		return err
	}
	byNo := map[int]ReturnLine{}
	for _, l := range held[r.ID] {
		byNo[l.LineNo] = l
	}
	seen := map[int]bool{}
	for i, l := range lines {
		field := fmt.Sprintf("lines[%d]", i)
		rl, ok := byNo[l.LineNo]
		switch {
		case !ok:
			return errs.E(errs.Unprocessable, "the return has no line %d", l.LineNo).WithDetails("field", field+".line_no")
		case seen[l.LineNo]:
			return errs.E(errs.Unprocessable, "line %d is named twice", l.LineNo).WithDetails("field", field+".line_no")
		case l.Received < 0 || l.Received > rl.Quantity:
			return errs.E(errs.Unprocessable, "line %d: received must be from 0 to %d", l.LineNo, rl.Quantity).WithDetails("field", field+".received")
		case l.Restock < 0 || l.Restock > l.Received:
			return errs.E(errs.Unprocessable, "line %d: restock must be from 0 to the units received", l.LineNo).WithDetails("field", field+".restock")
		}
		seen[l.LineNo] = true
		if _, err := tx.Exec(ctx, `UPDATE return_lines SET received_quantity = $3, restocked_quantity = $4
			WHERE return_id = $1 AND line_no = $2`, r.ID, l.LineNo, l.Received, l.Restock); err != nil {
			return err
		}
		if l.Restock > 0 {
			if _, err := tx.Exec(ctx, `UPDATE inventory SET on_hand = on_hand + $1, updated_at = now()
				WHERE product_id = $2`, l.Restock, rl.ProductID); err != nil {
				return err
			}
		}
	}
	// Units that did not come back are no longer held: the line may be asked for again.
	_, err = tx.Exec(ctx, `UPDATE order_items oi SET returned_quantity = oi.returned_quantity - (rl.quantity - rl.received_quantity)
		FROM return_lines rl WHERE rl.return_id = $1 AND oi.order_id = rl.order_id AND oi.line_no = rl.line_no
		  AND rl.quantity > rl.received_quantity`, r.ID)
	return err
}

// moveReturn runs one checked status change of a return for party in one transaction: the row
// is locked, a party with no part in the return gets not found, the transition table decides,
// apply writes the step's own columns, and a return that ends unreturned releases its units.
func (s *Store) moveReturn(ctx context.Context, id string, party ReturnParty, to string, apply func(tx pgx.Tx, r Return) error) (Return, error) {
	var out Return
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		r, err := lockReturn(ctx, tx, id)
		if err != nil {
			return err
		}
		if !party.MayAct(r) {
			return errs.E(errs.NotFound, "return not found")
		}
		if err := CheckReturnTransition(r.Status, to); err != nil {
			return err
		}
		if apply != nil {
			if err := apply(tx, r); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE returns SET status = $2, updated_at = now() WHERE id = $1`, id, to); err != nil {
			return err
		}
		if returnReleases(to) {
			if _, err := tx.Exec(ctx, `UPDATE order_items oi SET returned_quantity = oi.returned_quantity - rl.quantity
				FROM return_lines rl WHERE rl.return_id = $1 AND oi.order_id = rl.order_id AND oi.line_no = rl.line_no`, id); err != nil {
				return err
			}
		}
		out, err = returnByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return Return{}, fmt.Errorf("return %s to %s: %w", id, to, classify(err, "return"))
	}
	return out, nil
}
