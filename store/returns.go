package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// Return statuses. A return moves requested -> approved -> shipped -> received -> refunded; a
// request may be rejected, and one not yet shipped back may expire or be canceled by its customer.
const (
	ReturnRequested = "requested"
	ReturnApproved  = "approved"
	ReturnRejected  = "rejected"
	ReturnShipped   = "shipped"
	ReturnReceived  = "received"
	ReturnRefunded  = "refunded"
	ReturnExpired   = "expired"
	ReturnCanceled  = "canceled"
)

// returnTransitions is the one table of legal return status changes.
var returnTransitions = map[string][]string{
	ReturnRequested: {ReturnApproved, ReturnRejected, ReturnExpired, ReturnCanceled},
	ReturnApproved:  {ReturnShipped, ReturnExpired, ReturnCanceled},
	ReturnShipped:   {ReturnReceived},
	ReturnReceived:  {ReturnRefunded},
	ReturnRejected:  {},
	ReturnRefunded:  {},
	ReturnExpired:   {},
	ReturnCanceled:  {},
}

// ValidReturnStatus reports whether status names a return status.
func ValidReturnStatus(status string) bool {
	_, ok := returnTransitions[status]
	return ok
}

// CheckReturnTransition refuses an illegal return status change as a conflict (409).
func CheckReturnTransition(from, to string) error {
	if slices.Contains(returnTransitions[from], to) {
		return nil
	}
	return errs.E(errs.Conflict, "a return that is %s cannot become %s", from, to).
		WithDetails("status", from).WithDetails("requested", to)
}

// returnReleases reports whether a return ending in status gives its units back to the order
// lines (returned_quantity), so they may be asked for again.
func returnReleases(status string) bool {
	return status == ReturnRejected || status == ReturnExpired || status == ReturnCanceled
}

// Return is a customer's request to send back units of one seller's lines of an order.
type Return struct {
	ID           string       `json:"id"`
	OrderID      string       `json:"order_id"`
	CustomerID   string       `json:"customer_id"`
	SellerID     string       `json:"seller_id"`
	Status       string       `json:"status"`
	Reason       string       `json:"reason"`
	DecisionNote string       `json:"decision_note"`
	ShipBy       *time.Time   `json:"ship_by"`
	Tracking     string       `json:"tracking"`
	Lines        []ReturnLine `json:"lines"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
}

// ReturnLine is a quantity of one order line in a return, and what came back of it.
type ReturnLine struct {
	LineNo            int    `json:"line_no"`
	ProductID         int64  `json:"product_id"`
	Name              string `json:"name"`
	Quantity          int    `json:"quantity"`
	Reason            string `json:"reason"`
	ReceivedQuantity  int    `json:"received_quantity"`
	RestockedQuantity int    `json:"restocked_quantity"`
}

const returnColumns = `r.id::text, r.order_id::text, r.customer_id::text, r.seller_id::text, r.status, r.reason,
	r.decision_note, r.ship_by, r.tracking, r.created_at, r.updated_at`

func scanReturn(row pgx.Row) (Return, error) {
	var r Return
	err := row.Scan(&r.ID, &r.OrderID, &r.CustomerID, &r.SellerID, &r.Status, &r.Reason, &r.DecisionNote,
		&r.ShipBy, &r.Tracking, &r.CreatedAt, &r.UpdatedAt)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if r.ShipBy != nil {
		t := r.ShipBy.UTC()
		r.ShipBy = &t
	}
	return r, err
}

// returnQuerier is what a pool and a transaction have in common for reading rows.
type returnQuerier interface {
	querier
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// returnByID reads one return with its lines.
func returnByID(ctx context.Context, q returnQuerier, id string) (Return, error) {
	r, err := scanReturn(q.QueryRow(ctx, `SELECT `+returnColumns+` FROM returns r WHERE r.id = $1`, id))
	if err != nil {
		return Return{}, classify(err, "return")
	}
	lines, err := returnLinesOf(ctx, q, []string{id})
	if err != nil {
		return Return{}, err
	}
	r.Lines = lines[id]
	return r, nil
}

// returnLinesOf reads the lines of the returns named, by return id, in line order.
func returnLinesOf(ctx context.Context, q returnQuerier, ids []string) (map[string][]ReturnLine, error) {
	rows, err := q.Query(ctx, `SELECT rl.return_id::text, rl.line_no, oi.product_id, oi.name, rl.quantity, rl.reason,
			rl.received_quantity, rl.restocked_quantity
		FROM return_lines rl JOIN order_items oi ON oi.order_id = rl.order_id AND oi.line_no = rl.line_no
		WHERE rl.return_id = ANY($1::uuid[]) ORDER BY rl.return_id, rl.line_no`, ids)
	if err != nil {
		return nil, fmt.Errorf("read return lines: %w", err)
	}
	defer rows.Close()
	out := make(map[string][]ReturnLine, len(ids))
	for rows.Next() {
		var id string
		var l ReturnLine
		if err := rows.Scan(&id, &l.LineNo, &l.ProductID, &l.Name, &l.Quantity, &l.Reason, &l.ReceivedQuantity,
			&l.RestockedQuantity); err != nil {
			return nil, fmt.Errorf("read return lines: %w", err)
		}
		out[id] = append(out[id], l)
	}
	return out, rows.Err()
}

// ReturnByID returns one return with its lines; callers decide who may see it.
func (s *Store) ReturnByID(ctx context.Context, id string) (Return, error) {
	r, err := returnByID(ctx, s.Pool, id)
	if err != nil {
		return Return{}, fmt.Errorf("return %s: %w", id, err)
	}
	return r, nil
}

// lockReturn locks the return row for the transaction and returns it without its lines.
func lockReturn(ctx context.Context, tx pgx.Tx, id string) (Return, error) {
	r, err := scanReturn(tx.QueryRow(ctx, `SELECT `+returnColumns+` FROM returns r WHERE r.id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Return{}, errs.E(errs.NotFound, "return not found")
	}
	return r, err
}

// ReturnParty says who acts on a return: its customer, its seller, or an admin (both empty).
type ReturnParty struct {
	CustomerID string
	SellerID   string
}

// MayAct reports whether party may see and act on r: anyone who is not its customer, its
// seller or an admin gets not found, so a return's existence is never revealed.
func (p ReturnParty) MayAct(r Return) bool {
	switch {
	case p.CustomerID != "":
		return r.CustomerID == p.CustomerID
	case p.SellerID != "":
		return r.SellerID == p.SellerID
	}
	return true
}
