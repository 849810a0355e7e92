package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

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
	// ShippingMethod is the chosen method's code; empty takes the cheapest offered.
	ShippingMethod string
	// Coupon is a promotion code; empty lets the best automatic promotion apply.
	Coupon string
	// ExpectedTotalCents, when set, is the total the shopper was shown: a checkout priced
	// differently now (a price or promotion changed since the quote) is refused, not charged.
	ExpectedTotalCents *int64
	// ClientIP is where the request came from, for fraud screening.
	ClientIP string
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
		ShippingMethod  string          `json:"shipping_method,omitempty"`
		Coupon          string          `json:"coupon,omitempty"`
	}{1, source, items, no.PaymentMethod, no.ShippingAddress, no.ShippingMethod, strings.ToUpper(no.Coupon)})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CreateOrder writes a checkout as a pending order, in one transaction: the order priced from
// the database, its lines, shipments and first timeline event, and, for a cart checkout, the
// emptied cart. Stock is not checked here: holding it is the checkout saga's job. The same
// idempotency key with the same request answers with the order it created before (replayed
// true); with another request it is a conflict. Unknown products and mixed currencies are
// validation errors (with details.product_id for the first unknown product); a product not for
// sale is a conflict. Every read is in one batch and every write in one statement: the
// checkout is the API's busiest write, and each round trip is CPU on both ends.
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
		reads, err := s.readForOrder(ctx, tx, no, cartID, hash, time.Now())
		if err != nil || reads.existingID != "" {
			orderID, replayed = reads.existingID, true
			return err
		}
		lines, err := reads.lines(no)
		if err != nil {
			return err
		}
		q, err := s.priceOrder(ctx, reads.pricing, no, lines)
		if err != nil {
			return err
		}
		orderID, err = insertOrder(ctx, tx, no, hash, lines, q)
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
		if cartID != "" {
			if _, err := tx.Exec(ctx, `
				WITH emptied AS (DELETE FROM cart_items WHERE cart_id = $1)
				UPDATE carts SET updated_at = now() WHERE id = $1`, cartID); err != nil {
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
	return matchIdempotencyKey(tx.QueryRow(ctx, `SELECT id::text, request_hash FROM orders WHERE customer_id = $1 AND idempotency_key = $2`,
		customerID, key), hash)
}

// matchIdempotencyKey scans an order's id and request hash: "" when there is no row, a
// conflict when the order was made for a request other than hash's.
func matchIdempotencyKey(row pgx.Row, hash string) (string, error) {
	var id string
	var stored *string
	err := row.Scan(&id, &stored)
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
	SellerID    string
	PriceCents  int64
	Currency    string
	Status      string
	Name        string
	CategoryID  int64
	WeightGrams int64
	TaxClass    string
}

// pricedLineColumns are the product's columns a pricedLine holds (over alias p), in scan order.
const pricedLineColumns = `p.seller_id::text, p.price_cents, p.currency, p.status, p.name, p.category_id, p.weight_grams, p.tax_class`

func (l *pricedLine) fields() []any {
	return []any{&l.SellerID, &l.PriceCents, &l.Currency, &l.Status, &l.Name, &l.CategoryID, &l.WeightGrams, &l.TaxClass}
}

// orderReads is what writing or quoting an order reads, queued in one batch: a round trip
// instead of one per read.
type orderReads struct {
	// existingID is the order made before with the request's idempotency key, "" when none.
	existingID string
	products   map[int64]pricedLine // requested items: their products, by id
	cartLines  []pricedLine         // a cart checkout: the cart's lines with their products
	pricing    *pricingReads
}

// readForOrder reads, in one batch on tx, the order already made with the idempotency key (when
// hash is set), the products of the lines (the cart's when no.Items is nil) and what pricing
// depends on at now.
func (s *Store) readForOrder(ctx context.Context, tx pgx.Tx, no NewOrder, cartID, hash string, now time.Time) (orderReads, error) {
	r := orderReads{products: map[int64]pricedLine{}}
	b := &pgx.Batch{}
	if hash != "" {
		b.Queue(`SELECT id::text, request_hash FROM orders WHERE customer_id = $1 AND idempotency_key = $2`,
			no.CustomerID, no.IdempotencyKey).QueryRow(func(row pgx.Row) error {
			var err error
			r.existingID, err = matchIdempotencyKey(row, hash)
			return err
		})
	}
	switch {
	case no.Items != nil:
		ids := make([]int64, len(no.Items))
		for i, it := range no.Items {
			ids[i] = it.ProductID
		}
		b.Queue(`SELECT p.id, `+pricedLineColumns+` FROM products p WHERE p.id = ANY($1)`, ids).Query(func(rows pgx.Rows) error {
			return forEachRow(rows, func(row pgx.Rows) error {
				var l pricedLine
				err := row.Scan(append([]any{&l.ProductID}, l.fields()...)...)
				r.products[l.ProductID] = l
				return err
			})
		})
	case cartID != "":
		b.Queue(`
			SELECT ci.product_id, ci.quantity, `+pricedLineColumns+`
			FROM cart_items ci JOIN products p ON p.id = ci.product_id
			WHERE ci.cart_id = $1 ORDER BY ci.added_at, ci.product_id`, cartID).Query(func(rows pgx.Rows) error {
			var err error
			r.cartLines, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (pricedLine, error) {
				var l pricedLine
				return l, row.Scan(append([]any{&l.ProductID, &l.Quantity}, l.fields()...)...)
			})
			return err
		})
	}
	r.pricing = s.queuePricingReads(b, no, now)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return orderReads{}, err
	}
	return r, nil
}

// lines are the order's lines with their products, in the order they were asked for (a cart's
// in the order they were added). An unknown product or an empty cart is a validation error.
func (r orderReads) lines(no NewOrder) ([]pricedLine, error) {
	if no.Items == nil {
		return checkCartLines(r.cartLines)
	}
	lines := make([]pricedLine, 0, len(no.Items))
	for i, it := range no.Items {
		l, ok := r.products[it.ProductID]
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

// checkCartLines refuses an empty (or absent) cart, and one too long for an order.
func checkCartLines(lines []pricedLine) ([]pricedLine, error) {
	if len(lines) == 0 {
		return nil, (&errs.Error{Code: errs.Unprocessable, Message: "the cart is empty; add products to it or send items"}).
			WithDetails("fields", map[string]string{"items": "is required when the cart is empty"})
	}
	if len(lines) > MaxOrderLines {
		return nil, errs.E(errs.Unprocessable, "the cart has %d lines; one order takes at most %d", len(lines), MaxOrderLines)
	}
	return lines, nil
}
