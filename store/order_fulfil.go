package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// ShipOrder marks lines of a placed order shipped: every line still pending when sellerID is ""
// (an admin), else that seller's own. The order becomes shipped when all its lines have. A
// seller with no line in the order gets not found; an order that is not placed, or lines that
// have all shipped already, are conflicts.
func (s *Store) ShipOrder(ctx context.Context, orderID, sellerID string) (Order, error) {
	return s.fulfil(ctx, orderID, sellerID, FulfilmentShipped)
}

// DeliverOrder marks shipped lines delivered, as ShipOrder does for shipping. The order becomes
// delivered when all its lines are. A line that has not shipped yet, or lines all delivered
// already, are conflicts.
func (s *Store) DeliverOrder(ctx context.Context, orderID, sellerID string) (Order, error) {
	return s.fulfil(ctx, orderID, sellerID, FulfilmentDelivered)
}

// fulfilmentLine is one line of an order as fulfilment sees it.
type fulfilmentLine struct {
	no         int
	seller     string
	fulfilment string
}

// fulfil moves the selected lines to fulfilment `to` and the order along with them, in one
// transaction that locks the order row first, as every other change of an order does.
func (s *Store) fulfil(ctx context.Context, orderID, sellerID, to string) (Order, error) {
	queued := false
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		queued, err = fulfilInTx(ctx, tx, orderID, sellerID, to) // a retried transaction starts over
		return err
	})
	if err != nil {
		return Order{}, fmt.Errorf("mark order %s %s: %w", orderID, to, classify(err, "order"))
	}
	if queued {
		s.AnnounceOutbox(ctx)
	}
	return s.OrderByID(ctx, orderID)
}

// fulfilInTx is fulfil's transaction. It reports whether the order changed status, which
// queues a notification for its customer.
func fulfilInTx(ctx context.Context, tx pgx.Tx, orderID, sellerID, to string) (statusChanged bool, err error) {
	status, err := lockOrder(ctx, tx, orderID)
	if err != nil {
		return false, err
	}
	lines, err := fulfilmentLines(ctx, tx, orderID)
	if err != nil {
		return false, err
	}
	var selected []*fulfilmentLine
	for i := range lines {
		if sellerID == "" || lines[i].seller == sellerID {
			selected = append(selected, &lines[i])
		}
	}
	if len(selected) == 0 { // not the seller's order: do not reveal it exists
		return false, errs.E(errs.NotFound, "order not found")
	}
	if err := checkLinesMayMove(status, to, selected); err != nil {
		return false, err
	}
	var moved []int32
	var movedText []string
	for _, l := range selected {
		if lineMovesTo(l.fulfilment, to) {
			l.fulfilment = to
			moved = append(moved, int32(l.no))
			movedText = append(movedText, strconv.Itoa(l.no))
		}
	}
	if len(moved) == 0 {
		return false, errs.E(errs.Conflict, "every line to move is %s already", to).WithDetails("fulfilment", to)
	}
	if _, err := tx.Exec(ctx, `UPDATE order_items SET fulfilment = $3 WHERE order_id = $1 AND line_no = ANY($2)`,
		orderID, moved, to); err != nil {
		return false, err
	}
	if statusChanged, err := orderFollowsLines(ctx, tx, orderID, status, lines); err != nil || statusChanged {
		return statusChanged, err
	}
	// Part of the order moved: the timeline says which lines, the order keeps its status.
	if _, err := tx.Exec(ctx, `UPDATE orders SET updated_at = now() WHERE id = $1`, orderID); err != nil {
		return false, err
	}
	return false, addOrderEvent(ctx, tx, orderID, "lines_"+to, "lines "+strings.Join(movedText, ", ")+" "+to)
}

// fulfilmentLines reads the order's lines in line order.
func fulfilmentLines(ctx context.Context, tx pgx.Tx, orderID string) ([]fulfilmentLine, error) {
	rows, err := tx.Query(ctx, `SELECT line_no, seller_id::text, fulfilment FROM order_items WHERE order_id = $1 AND fulfilment <> 'canceled' ORDER BY line_no`, orderID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (fulfilmentLine, error) {
		var l fulfilmentLine
		return l, r.Scan(&l.no, &l.seller, &l.fulfilment)
	})
}

// checkLinesMayMove refuses the move when the order's status does not allow it (the state
// machine decides) or when a selected line would skip a step, such as a pending line delivered.
func checkLinesMayMove(status, to string, selected []*fulfilmentLine) error {
	if err := checkOrderFulfils(status, to); err != nil {
		return err
	}
	for _, l := range selected {
		if !lineReached(l.fulfilment, to) && !lineMovesTo(l.fulfilment, to) {
			return errs.E(errs.Conflict, "line %d has not shipped yet; ship it before delivering it", l.no).
				WithDetails("line_no", l.no).WithDetails("fulfilment", l.fulfilment)
		}
	}
	return nil
}

// orderFollowsLines moves the order to each status its lines have all reached (shipped, then
// delivered) where the state machine allows it, queueing a notification for each. It reports
// whether the order's status changed.
func orderFollowsLines(ctx context.Context, tx pgx.Tx, orderID, status string, lines []fulfilmentLine) (bool, error) {
	changed := false
	for _, step := range fulfilmentSteps() {
		if !CanTransition(status, step.order) || !allLinesReached(lines, step.line) {
			continue
		}
		if err := setOrderStatus(ctx, tx, orderID, status, step.order, nil, step.note); err != nil {
			return false, err
		}
		if err := queueOrderNotification(ctx, tx, orderID, step.notification); err != nil {
			return false, err
		}
		status, changed = step.order, true
	}
	return changed, nil
}

func allLinesReached(lines []fulfilmentLine, state string) bool {
	for _, l := range lines {
		if !lineReached(l.fulfilment, state) {
			return false
		}
	}
	return true
}
