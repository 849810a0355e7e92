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

// Refund kinds: a return's refund, or a cancellation's of a placed order.
const (
	RefundForReturn = "return"
	RefundForCancel = "cancel"
)

// Refund states. A pending refund holds its amount against what was captured; a failed one
// (the provider refused) keeps holding it until retried, so a retry never refunds twice.
const (
	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
)

// RefundLine is a quantity of one order line refunded, and the money it returns (the line's
// price after its share of the discount, plus its share of the tax).
type RefundLine struct {
	LineNo      int   `json:"line_no"`
	Quantity    int   `json:"quantity"`
	AmountCents int64 `json:"amount_cents"`
	// ProductID and SellerID are the line's, filled in when read.
	ProductID int64  `json:"product_id,omitempty"`
	SellerID  string `json:"seller_id,omitempty"`
}

// Refund is money given back for some units of an order's lines.
type Refund struct {
	ID            string       `json:"id"`
	OrderID       string       `json:"order_id"`
	ReturnID      string       `json:"return_id,omitempty"`
	Kind          string       `json:"kind"`
	Status        string       `json:"status"`
	AmountCents   int64        `json:"amount_cents"`
	Currency      string       `json:"currency"`
	Key           string       `json:"-"`
	ProviderRef   string       `json:"provider_ref,omitempty"`
	FailureReason string       `json:"failure_reason,omitempty"`
	Attempts      int          `json:"attempts"`
	Lines         []RefundLine `json:"lines"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
	SucceededAt   *time.Time   `json:"succeeded_at,omitempty"`
}

// NewRefund asks for a refund of some units of an order's lines. Key makes it idempotent:
// "return:<return_id>" or "cancel:<cancellation_id>".
type NewRefund struct {
	OrderID  string
	ReturnID string
	Kind     string
	Key      string
	// Lines name LineNo and Quantity; the amounts are computed.
	Lines []RefundLine
}

func (r NewRefund) validate() error {
	switch {
	case r.Kind != RefundForReturn && r.Kind != RefundForCancel:
		return errs.E(errs.Invalid, "refund kind %q is neither %q nor %q", r.Kind, RefundForReturn, RefundForCancel)
	case r.Kind == RefundForReturn && r.ReturnID == "":
		return errs.E(errs.Invalid, "a return's refund names its return")
	case r.Key == "" || len(r.Key) > 200:
		return errs.E(errs.Invalid, "a refund needs a key of 1 to 200 characters")
	case len(r.Lines) == 0:
		return errs.E(errs.Invalid, "a refund names at least one line")
	}
	seen := map[int]bool{}
	for _, l := range r.Lines {
		if l.LineNo < 1 || l.Quantity < 1 || seen[l.LineNo] {
			return errs.E(errs.Invalid, "refund lines need distinct line numbers and quantities of at least 1").
				WithDetails("line_no", l.LineNo).WithDetails("quantity", l.Quantity)
		}
		seen[l.LineNo] = true
	}
	return nil
}

// refundableStatuses are the order statuses whose lines can be refunded: money was captured.
var refundableStatuses = []string{OrderPlaced, OrderShipped, OrderDelivered, OrderPartiallyRefunded}

// CreateRefund records a pending refund, holding its amount against the order's capture and
// its quantities against the lines' units, in one transaction: the database refuses more than
// was captured or sold (a conflict). The same Key answers with the refund already recorded.
func (s *Store) CreateRefund(ctx context.Context, r NewRefund) (Refund, error) {
	if err := r.validate(); err != nil {
		return Refund{}, err
	}
	var id string
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		// The order's lock serializes every refund of the order, so the key check below sees
		// a concurrent refund under the same key once it committed.
		status, err := lockOrder(ctx, tx, r.OrderID)
		if err != nil {
			return err
		}
		var existingOrder string
		err = tx.QueryRow(ctx, `SELECT id, order_id FROM refunds WHERE key = $1`, r.Key).Scan(&id, &existingOrder)
		switch {
		case err == nil && existingOrder != r.OrderID:
			return errs.E(errs.Conflict, "refund key %q belongs to another order", r.Key)
		case err == nil:
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if !slices.Contains(refundableStatuses, status) {
			return errs.E(errs.Conflict, "an order that is %s has no captured payment to refund", status).WithDetails("status", status)
		}
		id, err = insertRefund(ctx, tx, r)
		return err
	})
	if err != nil {
		return Refund{}, fmt.Errorf("create refund %s of order %s: %w", r.Key, r.OrderID, refundError(err))
	}
	return s.RefundByID(ctx, id)
}

// insertRefund takes the units and money and writes the refund and its lines.
func insertRefund(ctx context.Context, tx pgx.Tx, r NewRefund) (string, error) {
	var (
		currency     string
		includesTax  bool
		paymentID    string
		lines        []refundLineRow
		total        int64
		sortedLines  = slices.Clone(r.Lines)
		errNoPayment = errs.E(errs.Conflict, "order %s has no captured payment to refund", r.OrderID)
	)
	if err := tx.QueryRow(ctx, `SELECT currency, prices_include_tax FROM orders WHERE id = $1`, r.OrderID).Scan(&currency, &includesTax); err != nil {
		return "", err
	}
	err := tx.QueryRow(ctx, `SELECT id FROM payments WHERE order_id = $1 AND status = 'succeeded'
		ORDER BY created_at LIMIT 1`, r.OrderID).Scan(&paymentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", errNoPayment
	} else if err != nil {
		return "", err
	}
	slices.SortFunc(sortedLines, func(a, b RefundLine) int { return a.LineNo - b.LineNo })
	for _, l := range sortedLines {
		row, err := takeRefundUnits(ctx, tx, r.OrderID, l, includesTax)
		if err != nil {
			return "", err
		}
		lines = append(lines, row)
		total += row.amount
	}
	var id string
	if err := tx.QueryRow(ctx, `
		INSERT INTO refunds (order_id, return_id, kind, amount_cents, currency, key)
		VALUES ($1, nullif($2, '')::uuid, $3, $4, $5, $6) RETURNING id`,
		r.OrderID, r.ReturnID, r.Kind, total, currency, r.Key).Scan(&id); err != nil {
		return "", err
	}
	for _, l := range lines {
		if _, err := tx.Exec(ctx, `
			INSERT INTO refund_lines (refund_id, order_id, line_no, product_id, seller_id, category_id, currency,
			                          quantity, unit_price_cents, discount_cents, tax_cents, amount_cents)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			id, r.OrderID, l.lineNo, l.productID, l.sellerID, l.categoryID, currency,
			l.quantity, l.unitPrice, l.discount, l.tax, l.amount); err != nil {
			return "", err
		}
	}
	// The CHECK refunded_cents <= amount_cents is the last word on "never more than captured".
	if _, err := tx.Exec(ctx, `UPDATE payments SET refunded_cents = refunded_cents + $2, updated_at = now() WHERE id = $1`,
		paymentID, total); err != nil {
		return "", err
	}
	return id, addOrderEvent(ctx, tx, r.OrderID, "refund_requested", fmt.Sprintf("refund of %d %s requested", total, currency))
}

// refundLineRow is one line of a refund being written.
type refundLineRow struct {
	lineNo, quantity                 int
	productID, categoryID            int64
	sellerID                         string
	unitPrice, discount, tax, amount int64
}

// takeRefundUnits adds the units to the line's refunded quantity (the CHECK refuses more than
// the line holds) and prices them. Each money share is the difference of the line's cumulative
// shares after and before these units (floor(total * n / quantity)), so the shares of all of a
// line's units add up to exactly what the line paid, whatever the order of refunds.
func takeRefundUnits(ctx context.Context, tx pgx.Tx, orderID string, l RefundLine, includesTax bool) (refundLineRow, error) {
	row := refundLineRow{lineNo: l.LineNo, quantity: l.Quantity}
	var after, quantity int64
	var lineDiscount, lineTax int64
	err := tx.QueryRow(ctx, `
		UPDATE order_items i SET refunded_quantity = refunded_quantity + $3
		FROM products p WHERE p.id = i.product_id AND i.order_id = $1 AND i.line_no = $2
		RETURNING i.refunded_quantity, i.quantity, i.product_id, i.seller_id::text,
		          coalesce((SELECT f.category_id FROM sales_facts f WHERE f.source = 'shopflow'
		                    AND f.external_order_id = i.order_id::text AND f.line_no = i.line_no LIMIT 1), p.category_id),
		          i.unit_price_cents, i.discount_cents, i.tax_cents`, orderID, l.LineNo, l.Quantity).
		Scan(&after, &quantity, &row.productID, &row.sellerID, &row.categoryID, &row.unitPrice, &lineDiscount, &lineTax)
	if errors.Is(err, pgx.ErrNoRows) {
		return row, errs.E(errs.NotFound, "order %s has no line %d", orderID, l.LineNo).WithDetails("line_no", l.LineNo)
	} else if err != nil {
		return row, err
	}
	before := after - int64(l.Quantity)
	share := func(total int64) int64 { return total*after/quantity - total*before/quantity }
	row.discount, row.tax = share(lineDiscount), share(lineTax)
	row.amount = row.unitPrice*int64(l.Quantity) - row.discount
	if !includesTax {
		row.amount += row.tax
	}
	return row, nil
}

// refundError names the rule a refused refund broke.
func refundError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23514" {
		switch pgErr.ConstraintName {
		case "order_items_refunded_within_quantity":
			return errs.Wrap(err, errs.Conflict, "more units than the line has left to refund").WithDetails("constraint", pgErr.ConstraintName)
		case "payments_refunded_within_amount":
			return errs.Wrap(err, errs.Conflict, "more money than was captured").WithDetails("constraint", pgErr.ConstraintName)
		}
	}
	return classify(err, "refund")
}
