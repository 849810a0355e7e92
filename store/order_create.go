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
			INSERT INTO orders (customer_id, currency, total_cents, subtotal_cents, payment_method, shipping_address, idempotency_key, request_hash)
			VALUES ($1, $2, $3, $3, $4, $5, $6, $7)
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
