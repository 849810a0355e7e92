package store

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// ValidOrderStatus reports whether status names an order status of the state machine.
func ValidOrderStatus(status string) bool {
	_, ok := orderTransitions[status]
	return ok
}

// MaxOrderLines is the most lines one order may have, whether sent as items or taken from a cart.
const MaxOrderLines = 100

// Fulfilment states of an order line. Each line's seller ships its own goods, so lines move on
// their own: pending -> shipped -> delivered; the order follows when every line has.
const (
	FulfilmentPending   = "pending"
	FulfilmentShipped   = "shipped"
	FulfilmentDelivered = "delivered"
)

// Order is an order as its customer (or an admin) sees it: lines priced as they were at
// checkout, the latest payment, and the timeline of everything that happened to it.
type Order struct {
	ID           string  `json:"id"`
	CustomerID   string  `json:"customer_id"`
	Status       string  `json:"status"`
	CancelReason *string `json:"cancel_reason"`
	Currency     string  `json:"currency"`
	// TotalCents is computed by the server from the lines at checkout; never sent by clients.
	TotalCents      int64           `json:"total_cents"`
	PaymentMethod   string          `json:"payment_method"`
	ShippingAddress ShippingAddress `json:"shipping_address"`
	// Payment is the order's latest payment, nil before the saga charged.
	Payment   *OrderPayment `json:"payment"`
	Lines     []OrderLine   `json:"lines"`
	Timeline  []OrderEvent  `json:"timeline"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// ShippingAddress is where an order is delivered.
type ShippingAddress struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code"`
	// Country is an ISO 3166-1 alpha-2 code, upper case.
	Country string `json:"country"`
}

// OrderLine is one product of an order, at the price it had at checkout.
type OrderLine struct {
	LineNo    int    `json:"line_no"`
	ProductID int64  `json:"product_id"`
	SellerID  string `json:"seller_id"`
	// Name is the product's name when the order was made: renaming a product later does not
	// rewrite order history.
	Name           string `json:"name"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	LineTotalCents int64  `json:"line_total_cents"`
	Currency       string `json:"currency"`
	// Fulfilment is one of the Fulfilment constants.
	Fulfilment string `json:"fulfilment"`
}

// OrderEvent is one entry of an order's timeline.
type OrderEvent struct {
	Status string    `json:"status"`
	Note   string    `json:"note"`
	At     time.Time `json:"at"`
}

// OrderPayment is a payment as the provider last reported it.
type OrderPayment struct {
	Provider    string `json:"provider"`
	IntentID    string `json:"intent_id"`
	Status      string `json:"status"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
}

// ForSeller is the order as one of its sellers sees it: only that seller's lines, a total of
// those lines, and nothing about the payment, which covers other sellers' goods too. The order
// has no lines at all for a seller with nothing in it.
func (o Order) ForSeller(sellerID string) Order {
	v := o
	v.Lines = []OrderLine{}
	v.TotalCents = 0
	for _, l := range o.Lines {
		if l.SellerID == sellerID {
			v.Lines = append(v.Lines, l)
			v.TotalCents += l.LineTotalCents
		}
	}
	v.Payment = nil
	v.PaymentMethod = ""
	return v
}

// HasSeller reports whether the order has at least one line sold by sellerID.
func (o Order) HasSeller(sellerID string) bool {
	return sellerID != "" && slices.ContainsFunc(o.Lines, func(l OrderLine) bool { return l.SellerID == sellerID })
}

// OrderItem is one line asked for at checkout: a product and how many of it.
type OrderItem struct {
	ProductID int64 `json:"product_id"`
	Quantity  int   `json:"quantity"`
}

// NewOrder is a validated checkout request.
type NewOrder struct {
	CustomerID string
	// IdempotencyKey identifies the checkout among the customer's: the same key always answers
	// with the same order.
	IdempotencyKey string
	// Items are the lines to buy, in order; nil means the customer's cart, which the order empties.
	Items           []OrderItem
	PaymentMethod   string
	ShippingAddress ShippingAddress
}

// RequestHash fingerprints what the request asks for, so a key reused for another request is
// told apart from a retry. Items count in product order (the same goods in another order are
// the same request); a cart checkout is fingerprinted as "the cart", not by the lines it held,
// because a retry after success finds the cart already emptied by the order.
func (no NewOrder) RequestHash() string {
	items := slices.Clone(no.Items)
	slices.SortFunc(items, func(a, b OrderItem) int { return cmp.Compare(a.ProductID, b.ProductID) })
	source := "items"
	if no.Items == nil {
		source = "cart"
	}
	b, _ := json.Marshal(struct {
		Version         int             `json:"v"`
		Source          string          `json:"source"`
		Items           []OrderItem     `json:"items"`
		PaymentMethod   string          `json:"payment_method"`
		ShippingAddress ShippingAddress `json:"shipping_address"`
	}{1, source, items, no.PaymentMethod, no.ShippingAddress})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CreateOrder writes a checkout as a pending order, in one transaction: the order priced from
// the database, its lines, its first timeline event, and, for a cart checkout, the emptied cart.
// Stock is not checked here: holding it is the checkout saga's job. The same idempotency key
// with the same request answers with the order it created before (replayed true); with another
// request it is a conflict. Unknown products and mixed currencies are validation errors (with
// details.product_id for the first unknown product); a product not for sale is a conflict.
func (s *Store) CreateOrder(ctx context.Context, no NewOrder) (o Order, replayed bool, err error) {
	hash := no.RequestHash()
	var orderID string
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		orderID, replayed = "", false
		cartID := ""
		if no.Items == nil {
			// The cart row first: checkouts of one cart, and edits of it, queue here, so a retry
			// waiting behind its twin sees the twin's order below instead of the emptied cart.
			err := tx.QueryRow(ctx, `SELECT id FROM carts WHERE user_id = $1 FOR UPDATE`, no.CustomerID).Scan(&cartID)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return classify(err, "cart")
			}
		}
		id, err := orderByIdempotencyKey(ctx, tx, no.CustomerID, no.IdempotencyKey, hash)
		if err != nil || id != "" {
			orderID, replayed = id, true
			return err
		}
		lines, err := resolveOrderLines(ctx, tx, no, cartID)
		if err != nil {
			return err
		}
		currency, total, err := priceOrder(lines)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `
			INSERT INTO orders (customer_id, currency, total_cents, payment_method, shipping_address, idempotency_key, request_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (customer_id, idempotency_key) DO NOTHING
			RETURNING id::text`,
			no.CustomerID, currency, total, no.PaymentMethod, no.ShippingAddress, no.IdempotencyKey, hash).Scan(&orderID)
		if errors.Is(err, pgx.ErrNoRows) {
			// A concurrent request with the same key inserted first and has committed (ON
			// CONFLICT waited for it); this new statement sees its order.
			id, err := orderByIdempotencyKey(ctx, tx, no.CustomerID, no.IdempotencyKey, hash)
			if err == nil && id == "" {
				err = fmt.Errorf("order with idempotency key %q vanished", no.IdempotencyKey)
			}
			orderID, replayed = id, true
			return err
		}
		if err != nil {
			return classifyOwner(err, "order")
		}
		if err := insertOrderLines(ctx, tx, orderID, lines); err != nil {
			return err
		}
		if err := addOrderEvent(ctx, tx, orderID, OrderPending, "order received"); err != nil {
			return err
		}
		if cartID != "" {
			if _, err := tx.Exec(ctx, `DELETE FROM cart_items WHERE cart_id = $1`, cartID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE carts SET updated_at = now() WHERE id = $1`, cartID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Order{}, false, fmt.Errorf("create order for customer %s: %w", no.CustomerID, classify(err, "order"))
	}
	o, err = s.OrderByID(ctx, orderID)
	return o, replayed, err
}

// orderByIdempotencyKey returns the id of the customer's order made with key, or "" when there
// is none. An order made with key for a different request is a conflict.
func orderByIdempotencyKey(ctx context.Context, tx pgx.Tx, customerID, key, hash string) (string, error) {
	var id string
	var stored *string
	err := tx.QueryRow(ctx, `SELECT id::text, request_hash FROM orders WHERE customer_id = $1 AND idempotency_key = $2`,
		customerID, key).Scan(&id, &stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if stored == nil || *stored != hash {
		return "", errs.E(errs.Conflict, "Idempotency-Key was already used with a different request")
	}
	return id, nil
}

// pricedLine is an order line with its product's price, seller and status as read at checkout.
type pricedLine struct {
	OrderItem
	SellerID   string
	PriceCents int64
	Currency   string
	Status     string
}

// resolveOrderLines reads the products of the requested items, or the cart's lines, in the
// order they were asked for (a cart's in the order they were added).
func resolveOrderLines(ctx context.Context, tx pgx.Tx, no NewOrder, cartID string) ([]pricedLine, error) {
	if no.Items == nil {
		return cartOrderLines(ctx, tx, cartID)
	}
	ids := make([]int64, len(no.Items))
	for i, it := range no.Items {
		ids[i] = it.ProductID
	}
	rows, err := tx.Query(ctx, `SELECT id, seller_id::text, price_cents, currency, status FROM products WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	byID := map[int64]pricedLine{}
	for rows.Next() {
		var l pricedLine
		if err := rows.Scan(&l.ProductID, &l.SellerID, &l.PriceCents, &l.Currency, &l.Status); err != nil {
			rows.Close()
			return nil, err
		}
		byID[l.ProductID] = l
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	lines := make([]pricedLine, 0, len(no.Items))
	for i, it := range no.Items {
		l, ok := byID[it.ProductID]
		if !ok {
			field := fmt.Sprintf("items[%d].product_id", i)
			return nil, (&errs.Error{Code: errs.Unprocessable, Message: fmt.Sprintf("product %d does not exist", it.ProductID)}).
				WithDetails("product_id", it.ProductID).WithDetails("fields", map[string]string{field: "no such product"})
		}
		l.Quantity = it.Quantity
		lines = append(lines, l)
	}
	return lines, nil
}

// cartOrderLines reads the cart's lines with their products; an empty (or absent) cart cannot
// be checked out.
func cartOrderLines(ctx context.Context, tx pgx.Tx, cartID string) ([]pricedLine, error) {
	var lines []pricedLine
	if cartID != "" {
		rows, err := tx.Query(ctx, `
			SELECT ci.product_id, ci.quantity, p.seller_id::text, p.price_cents, p.currency, p.status
			FROM cart_items ci JOIN products p ON p.id = ci.product_id
			WHERE ci.cart_id = $1 ORDER BY ci.added_at, ci.product_id`, cartID)
		if err != nil {
			return nil, err
		}
		lines, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (pricedLine, error) {
			var l pricedLine
			return l, r.Scan(&l.ProductID, &l.Quantity, &l.SellerID, &l.PriceCents, &l.Currency, &l.Status)
		})
		if err != nil {
			return nil, err
		}
	}
	if len(lines) == 0 {
		return nil, (&errs.Error{Code: errs.Unprocessable, Message: "the cart is empty; add products to it or send items"}).
			WithDetails("fields", map[string]string{"items": "is required when the cart is empty"})
	}
	if len(lines) > MaxOrderLines {
		return nil, errs.E(errs.Unprocessable, "the cart has %d lines; one order takes at most %d", len(lines), MaxOrderLines)
	}
	return lines, nil
}

// priceOrder checks that every line can be sold in one currency and totals the order.
func priceOrder(lines []pricedLine) (currency string, totalCents int64, err error) {
	for _, l := range lines {
		if l.Status != ProductActive {
			return "", 0, errs.E(errs.Conflict, "product %d is not for sale", l.ProductID).
				WithDetails("product_id", l.ProductID).WithDetails("product_status", l.Status)
		}
	}
	currency = lines[0].Currency
	for _, l := range lines {
		if l.Currency != currency {
			return "", 0, errs.E(errs.Unprocessable, "an order is paid in one currency, but product %d is priced in %s and product %d in %s",
				lines[0].ProductID, currency, l.ProductID, l.Currency).
				WithDetails("product_id", l.ProductID).WithDetails("currencies", []string{currency, l.Currency})
		}
		totalCents += l.PriceCents * int64(l.Quantity)
	}
	return currency, totalCents, nil
}

// insertOrderLines writes the lines numbered from 1, in one statement.
func insertOrderLines(ctx context.Context, tx pgx.Tx, orderID string, lines []pricedLine) error {
	n := len(lines)
	lineNos, products, quantities, prices := make([]int32, n), make([]int64, n), make([]int32, n), make([]int64, n)
	sellers, currencies := make([]string, n), make([]string, n)
	for i, l := range lines {
		lineNos[i], products[i], quantities[i], prices[i] = int32(i+1), l.ProductID, int32(l.Quantity), l.PriceCents
		sellers[i], currencies[i] = l.SellerID, l.Currency
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO order_items (order_id, line_no, product_id, seller_id, name, quantity, unit_price_cents, currency)
		SELECT $1, l.line_no, l.product_id, l.seller_id, p.name, l.quantity, l.price, l.currency
		FROM unnest($2::int[], $3::bigint[], $4::uuid[], $5::int[], $6::bigint[], $7::text[])
		     AS l(line_no, product_id, seller_id, quantity, price, currency)
		JOIN products p ON p.id = l.product_id`,
		orderID, lineNos, products, sellers, quantities, prices, currencies)
	return err
}

// OrderByID returns an order with its lines, latest payment and timeline.
func (s *Store) OrderByID(ctx context.Context, id string) (Order, error) {
	orders, err := loadOrders(ctx, s.Pool.Query, `WHERE o.id = $1`, id)
	if err != nil {
		return Order{}, fmt.Errorf("order %s: %w", id, classify(err, "order"))
	}
	if len(orders) == 0 {
		return Order{}, fmt.Errorf("order %s: %w", id, errs.E(errs.NotFound, "order not found"))
	}
	return orders[0], nil
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

// orderCursor is the position after a page's last order. Keyset pagination stays stable while
// new orders arrive at the head of the list.
type orderCursor struct {
	// Query fingerprints the filters, so a cursor is refused by a list it did not come from.
	Query     string    `json:"q"`
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"id"`
}

func (f OrderFilter) fingerprint() string {
	b, _ := json.Marshal([]string{f.CustomerID, f.SellerID, f.Status})
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// ListOrders returns one page of the orders matching f, newest first (ties by id). A malformed
// cursor, or one from a list with other filters, is an invalid request.
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
		c, err := decodeOrderCursor(f.Cursor, f.fingerprint())
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
	orders, err := loadOrders(ctx, s.Pool.Query, sql, args...)
	if err != nil {
		return OrderPage{}, fmt.Errorf("list orders: %w", classify(err, "order"))
	}
	page := OrderPage{Items: orders}
	if len(orders) > f.Limit {
		page.Items = orders[:f.Limit]
		last := page.Items[f.Limit-1]
		b, err := json.Marshal(orderCursor{Query: f.fingerprint(), CreatedAt: last.CreatedAt, ID: last.ID})
		if err != nil {
			return OrderPage{}, fmt.Errorf("list orders: encode cursor: %w", err)
		}
		next := base64.RawURLEncoding.EncodeToString(b)
		page.NextCursor = &next
	}
	return page, nil
}

func decodeOrderCursor(cursor, query string) (orderCursor, error) {
	bad := invalidParam("cursor", "is not a cursor this list gave out")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return orderCursor{}, bad
	}
	var c orderCursor
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.CreatedAt.IsZero() {
		return orderCursor{}, bad
	}
	// A forged id must be a 400 here, not a database error later.
	if _, err := uuid.Parse(c.ID); err != nil {
		return orderCursor{}, bad
	}
	if c.Query != query {
		return orderCursor{}, invalidParam("cursor", "was made for a list with other filters; start again without a cursor")
	}
	return c, nil
}

// loadOrders reads the orders selected by tail (WHERE/ORDER/LIMIT over alias o), then their
// lines, latest payments and timelines in one query each, whatever the number of orders.
func loadOrders(ctx context.Context, query queryFunc, tail string, args ...any) ([]Order, error) {
	rows, err := query(ctx, `
		SELECT o.id::text, o.customer_id::text, o.status, o.cancel_reason, o.currency, o.total_cents,
		       o.payment_method, o.shipping_address, o.created_at, o.updated_at
		FROM orders o `+tail, args...)
	if err != nil {
		return nil, err
	}
	orders, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Order, error) {
		var o Order
		err := r.Scan(&o.ID, &o.CustomerID, &o.Status, &o.CancelReason, &o.Currency, &o.TotalCents,
			&o.PaymentMethod, &o.ShippingAddress, &o.CreatedAt, &o.UpdatedAt)
		o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
		o.Lines, o.Timeline = []OrderLine{}, []OrderEvent{}
		return o, err
	})
	if err != nil || len(orders) == 0 {
		return []Order{}, err
	}
	ids := make([]string, len(orders))
	index := make(map[string]*Order, len(orders))
	for i := range orders {
		ids[i] = orders[i].ID
		index[orders[i].ID] = &orders[i]
	}

	rows, err = query(ctx, `
		SELECT oi.order_id::text, oi.line_no, oi.product_id, oi.seller_id::text, oi.name, oi.quantity,
		       oi.unit_price_cents, oi.currency, oi.fulfilment
		FROM order_items oi
		WHERE oi.order_id = ANY($1::uuid[]) ORDER BY oi.order_id, oi.line_no`, ids)
	if err != nil {
		return nil, err
	}
	if err := forEachRow(rows, func(r pgx.Rows) error {
		var orderID string
		var l OrderLine
		if err := r.Scan(&orderID, &l.LineNo, &l.ProductID, &l.SellerID, &l.Name, &l.Quantity,
			&l.UnitPriceCents, &l.Currency, &l.Fulfilment); err != nil {
			return err
		}
		l.LineTotalCents = l.UnitPriceCents * int64(l.Quantity)
		index[orderID].Lines = append(index[orderID].Lines, l)
		return nil
	}); err != nil {
		return nil, err
	}

	rows, err = query(ctx, `
		SELECT order_id::text, status, note, created_at FROM order_events
		WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, id`, ids)
	if err != nil {
		return nil, err
	}
	if err := forEachRow(rows, func(r pgx.Rows) error {
		var orderID string
		var ev OrderEvent
		if err := r.Scan(&orderID, &ev.Status, &ev.Note, &ev.At); err != nil {
			return err
		}
		ev.At = ev.At.UTC()
		index[orderID].Timeline = append(index[orderID].Timeline, ev)
		return nil
	}); err != nil {
		return nil, err
	}

	rows, err = query(ctx, `
		SELECT DISTINCT ON (order_id) order_id::text, provider, provider_ref, status, amount_cents, currency
		FROM payments WHERE order_id = ANY($1::uuid[])
		ORDER BY order_id, created_at DESC, updated_at DESC`, ids)
	if err != nil {
		return nil, err
	}
	if err := forEachRow(rows, func(r pgx.Rows) error {
		var orderID string
		var p OrderPayment
		if err := r.Scan(&orderID, &p.Provider, &p.IntentID, &p.Status, &p.AmountCents, &p.Currency); err != nil {
			return err
		}
		index[orderID].Payment = &p
		return nil
	}); err != nil {
		return nil, err
	}
	return orders, nil
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

// fulfil moves the selected lines to fulfilment `to` and the order along with them, in one
// transaction that locks the order row first, as every other change of an order does.
func (s *Store) fulfil(ctx context.Context, orderID, sellerID, to string) (Order, error) {
	queued := false
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		queued = false // a retried transaction starts over
		status, err := lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT line_no, seller_id::text, fulfilment FROM order_items WHERE order_id = $1 ORDER BY line_no`, orderID)
		if err != nil {
			return err
		}
		type line struct {
			no         int
			seller     string
			fulfilment string
		}
		lines, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (line, error) {
			var l line
			return l, r.Scan(&l.no, &l.seller, &l.fulfilment)
		})
		if err != nil {
			return err
		}
		var selected []*line
		for i := range lines {
			if sellerID == "" || lines[i].seller == sellerID {
				selected = append(selected, &lines[i])
			}
		}
		if len(selected) == 0 { // not the seller's order: do not reveal it exists
			return errs.E(errs.NotFound, "order not found")
		}

		from := FulfilmentPending
		switch to {
		case FulfilmentShipped:
			if status != OrderPlaced {
				return CheckTransition(status, OrderShipped)
			}
		case FulfilmentDelivered:
			from = FulfilmentShipped
			if status != OrderPlaced && status != OrderShipped {
				return CheckTransition(status, OrderDelivered)
			}
			for _, l := range selected {
				if l.fulfilment == FulfilmentPending {
					return errs.E(errs.Conflict, "line %d has not shipped yet; ship it before delivering it", l.no).
						WithDetails("line_no", l.no).WithDetails("fulfilment", l.fulfilment)
				}
			}
		}
		var moved []int32
		var movedText []string
		for _, l := range selected {
			if l.fulfilment == from {
				l.fulfilment = to
				moved = append(moved, int32(l.no))
				movedText = append(movedText, strconv.Itoa(l.no))
			}
		}
		if len(moved) == 0 {
			return errs.E(errs.Conflict, "every line to move is %s already", to).WithDetails("fulfilment", to)
		}
		if _, err := tx.Exec(ctx, `UPDATE order_items SET fulfilment = $3 WHERE order_id = $1 AND line_no = ANY($2)`,
			orderID, moved, to); err != nil {
			return err
		}

		allShipped, allDelivered := true, true
		for _, l := range lines {
			allShipped = allShipped && l.fulfilment != FulfilmentPending
			allDelivered = allDelivered && l.fulfilment == FulfilmentDelivered
		}
		changed := false
		if allShipped && status == OrderPlaced {
			if err := setOrderStatus(ctx, tx, orderID, status, OrderShipped, nil, "every line has shipped"); err != nil {
				return err
			}
			if err := queueOrderNotification(ctx, tx, orderID, "order_shipped"); err != nil {
				return err
			}
			status, changed = OrderShipped, true
		}
		if allDelivered && status == OrderShipped {
			if err := setOrderStatus(ctx, tx, orderID, status, OrderDelivered, nil, "every line was delivered"); err != nil {
				return err
			}
			if err := queueOrderNotification(ctx, tx, orderID, "order_delivered"); err != nil {
				return err
			}
			changed = true
		}
		if changed {
			queued = true
			return nil
		}
		// Part of the order moved: the timeline says which lines, the order keeps its status.
		if _, err := tx.Exec(ctx, `UPDATE orders SET updated_at = now() WHERE id = $1`, orderID); err != nil {
			return err
		}
		return addOrderEvent(ctx, tx, orderID, "lines_"+to, "lines "+strings.Join(movedText, ", ")+" "+to)
	})
	if err != nil {
		return Order{}, fmt.Errorf("mark order %s %s: %w", orderID, to, classify(err, "order"))
	}
	if queued {
		s.AnnounceOutbox(ctx)
	}
	return s.OrderByID(ctx, orderID)
}
