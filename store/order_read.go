package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// OrderByID returns an order with its lines, latest payment and timeline. It reads the
// primary: a shopper polls it right after checkout and must see the saga's latest step.
func (s *Store) OrderByID(ctx context.Context, id string) (Order, error) {
	o, found, err := loadOrderByID(ctx, s.Pool, id)
	if err != nil {
		return Order{}, fmt.Errorf("order %s: %w", id, classify(err, "order"))
	}
	if !found {
		return Order{}, fmt.Errorf("order %s: %w", id, errs.E(errs.NotFound, "order not found"))
	}
	return o, nil
}

// OrderRef is who an order belongs to and where it stands: enough to route a payment
// notification or to check a caller's right to act on it.
type OrderRef struct {
	ID         string
	CustomerID string
	Status     string
}

// OrderRefByID returns the order's owner and status.
func (s *Store) OrderRefByID(ctx context.Context, id string) (OrderRef, error) {
	ref, err := s.orderRef(ctx, `id = $1`, id)
	if err != nil {
		return OrderRef{}, fmt.Errorf("order %s: %w", id, err)
	}
	return ref, nil
}

// OrderRefByPaymentIntent returns the order waiting for the payment intent.
func (s *Store) OrderRefByPaymentIntent(ctx context.Context, intentID string) (OrderRef, error) {
	ref, err := s.orderRef(ctx, `payment_intent_id = $1`, intentID)
	if err != nil {
		return OrderRef{}, fmt.Errorf("order of payment intent %s: %w", intentID, err)
	}
	return ref, nil
}

func (s *Store) orderRef(ctx context.Context, where string, arg any) (OrderRef, error) {
	var r OrderRef
	err := s.Pool.QueryRow(ctx, `SELECT id::text, customer_id::text, status FROM orders WHERE `+where, arg).
		Scan(&r.ID, &r.CustomerID, &r.Status)
	if errors.Is(err, pgx.ErrNoRows) {
		return OrderRef{}, errs.Wrap(err, errs.NotFound, "order not found")
	}
	return r, classify(err, "order")
}

// OrderFilter selects a page of orders, newest first. Zero fields do not filter.
type OrderFilter struct {
	CustomerID string
	// SellerID keeps orders with at least one line sold by this seller (whole orders: callers
	// show a seller its own lines with Order.ForSeller).
	SellerID string
	Status   string
	// Limit is the page size (default 20); Cursor, a previous page's NextCursor, continues after it.
	Limit  int
	Cursor string
}

// OrderPage is one page of orders; NextCursor is nil on the last page.
type OrderPage struct {
	Items      []Order `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func (f OrderFilter) fingerprint() string {
	b, _ := json.Marshal([]string{f.CustomerID, f.SellerID, f.Status})
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// ListOrders returns one page of the orders matching f, newest first (ties by id). A malformed
// cursor, or one from a list with other filters, is an invalid request. Order history may come
// from a replica (Reader), so an order placed within the lag bound can be missing for a moment.
func (s *Store) ListOrders(ctx context.Context, f OrderFilter) (OrderPage, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.CustomerID != "" {
		where = append(where, "o.customer_id = "+arg(f.CustomerID)+"::uuid")
	}
	if f.SellerID != "" {
		where = append(where, "EXISTS (SELECT 1 FROM order_items oi WHERE oi.order_id = o.id AND oi.seller_id = "+arg(f.SellerID)+"::uuid)")
	}
	if f.Status != "" {
		where = append(where, "o.status = "+arg(f.Status))
	}
	if f.Cursor != "" {
		c, err := decodeTimeCursor(f.Cursor, f.fingerprint())
		if err != nil {
			return OrderPage{}, err
		}
		where = append(where, fmt.Sprintf("(o.created_at, o.id) < (%s, %s::uuid)", arg(c.CreatedAt), arg(c.ID)))
	}
	sql := ""
	if len(where) > 0 {
		sql = "WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY o.created_at DESC, o.id DESC LIMIT " + arg(f.Limit+1)
	orders, err := loadOrders(ctx, s.Reader(ctx).Query, sql, args...)
	if err != nil {
		return OrderPage{}, fmt.Errorf("list orders: %w", classify(err, "order"))
	}
	page := OrderPage{Items: orders}
	if len(orders) > f.Limit {
		page.Items = orders[:f.Limit]
		last := page.Items[f.Limit-1]
		next := timeCursor{Query: f.fingerprint(), CreatedAt: last.CreatedAt, ID: last.ID}.encode()
		page.NextCursor = &next
	}
	return page, nil
}

// orderSelect reads orders (alias o); a WHERE/ORDER/LIMIT tail follows.
const orderSelect = `
	SELECT o.id::text, o.customer_id::text, o.status, o.cancel_reason, o.currency, o.total_cents,
	       o.subtotal_cents, o.discount_cents, o.shipping_cents, o.shipping_discount_cents, o.tax_cents,
	       o.prices_include_tax, o.shipping_method, o.promotion_id, o.coupon_code,
	       o.payment_method, o.shipping_address, o.created_at, o.updated_at
	FROM orders o `

func scanOrder(r pgx.CollectableRow) (Order, error) {
	var o Order
	err := r.Scan(&o.ID, &o.CustomerID, &o.Status, &o.CancelReason, &o.Currency, &o.TotalCents,
		&o.SubtotalCents, &o.DiscountCents, &o.ShippingCents, &o.ShippingDiscountCents, &o.TaxCents,
		&o.PricesIncludeTax, &o.ShippingMethod, &o.PromotionID, &o.CouponCode,
		&o.PaymentMethod, &o.ShippingAddress, &o.CreatedAt, &o.UpdatedAt)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	o.Lines, o.Timeline, o.Shipments = []OrderLine{}, []OrderEvent{}, []OrderShipment{}
	return o, err
}

// loadOrders reads the orders selected by tail (WHERE/ORDER/LIMIT over alias o), then their
// lines, latest payments, timelines and shipments in one query each, whatever the number of orders.
func loadOrders(ctx context.Context, query queryFunc, tail string, args ...any) ([]Order, error) {
	rows, err := query(ctx, orderSelect+tail, args...)
	if err != nil {
		return nil, err
	}
	orders, err := pgx.CollectRows(rows, scanOrder)
	if err != nil || len(orders) == 0 {
		return []Order{}, err
	}
	ids := make([]string, len(orders))
	index := make(map[string]*Order, len(orders))
	for i := range orders {
		ids[i] = orders[i].ID
		index[orders[i].ID] = &orders[i]
	}
	for _, part := range orderParts {
		rows, err := query(ctx, part.sql, ids)
		if err != nil {
			return nil, err
		}
		if err := part.addAll(rows, index); err != nil {
			return nil, err
		}
	}
	return orders, nil
}

// loadOrderByID reads one order and its parts in one batch: one round trip, not five, for the
// read every checkout answers with and every shopper polls.
func loadOrderByID(ctx context.Context, db interface {
	SendBatch(context.Context, *pgx.Batch) pgx.BatchResults
}, id string) (Order, bool, error) {
	var orders []Order
	index := map[string]*Order{}
	b := &pgx.Batch{}
	b.Queue(orderSelect+`WHERE o.id = $1`, id).Query(func(rows pgx.Rows) error {
		var err error
		if orders, err = pgx.CollectRows(rows, scanOrder); err == nil && len(orders) == 1 {
			index[id] = &orders[0]
		}
		return err
	})
	for _, part := range orderParts {
		b.Queue(part.sql, []string{id}).Query(func(rows pgx.Rows) error { return part.addAll(rows, index) })
	}
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return Order{}, false, err
	}
	if len(orders) == 0 {
		return Order{}, false, nil
	}
	return orders[0], true, nil
}

// orderPart is one read that completes orders: its query over their ids ($1), and how one of
// its rows adds to the order it names.
type orderPart struct {
	sql string
	add func(r pgx.Rows, index map[string]*Order) error
}

// addAll adds every row to its order, skipping orders not in index (deleted since they were read).
func (p orderPart) addAll(rows pgx.Rows, index map[string]*Order) error {
	return forEachRow(rows, func(r pgx.Rows) error { return p.add(r, index) })
}

var orderParts = [...]orderPart{
	{sql: `
		SELECT oi.order_id::text, oi.line_no, oi.product_id, oi.seller_id::text, oi.name, oi.quantity,
		       oi.unit_price_cents, oi.discount_cents, oi.tax_cents, oi.tax_rate_ppm, oi.currency, oi.fulfilment
		FROM order_items oi
		WHERE oi.order_id = ANY($1::uuid[]) ORDER BY oi.order_id, oi.line_no`, add: addOrderLine},
	{sql: `
		SELECT order_id::text, status, note, created_at FROM order_events
		WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, id`, add: addTimelineEvent},
	{sql: `
		SELECT DISTINCT ON (order_id) order_id::text, provider, provider_ref, status, amount_cents, currency
		FROM payments WHERE order_id = ANY($1::uuid[])
		ORDER BY order_id, created_at DESC, updated_at DESC`, add: addOrderPayment},
	{sql: `
		SELECT order_id::text, seller_id::text, method_code, method_name, weight_grams, shipping_cents,
		       discount_cents, tax_cents, tax_rate_ppm
		FROM order_shipments WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, seller_id`, add: addOrderShipment},
}

// addOrderLine adds a line; lines come in line order.
func addOrderLine(r pgx.Rows, index map[string]*Order) error {
	var orderID string
	var l OrderLine
	if err := r.Scan(&orderID, &l.LineNo, &l.ProductID, &l.SellerID, &l.Name, &l.Quantity,
		&l.UnitPriceCents, &l.DiscountCents, &l.TaxCents, &l.TaxRatePPM, &l.Currency, &l.Fulfilment); err != nil {
		return err
	}
	l.LineTotalCents = l.UnitPriceCents * int64(l.Quantity)
	if o := index[orderID]; o != nil {
		o.Lines = append(o.Lines, l)
	}
	return nil
}

// addTimelineEvent adds a timeline event; events come oldest first.
func addTimelineEvent(r pgx.Rows, index map[string]*Order) error {
	var orderID string
	var ev OrderEvent
	if err := r.Scan(&orderID, &ev.Status, &ev.Note, &ev.At); err != nil {
		return err
	}
	ev.At = ev.At.UTC()
	if o := index[orderID]; o != nil {
		o.Timeline = append(o.Timeline, ev)
	}
	return nil
}

// addOrderPayment sets the order's latest payment.
func addOrderPayment(r pgx.Rows, index map[string]*Order) error {
	var orderID string
	var p OrderPayment
	if err := r.Scan(&orderID, &p.Provider, &p.IntentID, &p.Status, &p.AmountCents, &p.Currency); err != nil {
		return err
	}
	if o := index[orderID]; o != nil {
		o.Payment = &p
	}
	return nil
}

// addOrderShipment adds a shipment.
func addOrderShipment(r pgx.Rows, index map[string]*Order) error {
	var orderID string
	var sh OrderShipment
	if err := r.Scan(&orderID, &sh.SellerID, &sh.Method, &sh.MethodName, &sh.WeightGrams, &sh.ShippingCents,
		&sh.DiscountCents, &sh.TaxCents, &sh.TaxRatePPM); err != nil {
		return err
	}
	if o := index[orderID]; o != nil {
		o.Shipments = append(o.Shipments, sh)
	}
	return nil
}

// forEachRow calls fn for every row and closes rows.
func forEachRow(rows pgx.Rows, fn func(pgx.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
