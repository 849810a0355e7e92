package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"shopflow/errs"
)

// Cart is a customer's cart as it stands now: every line shows the product's current price,
// status and stock, never what they were when the line was added.
type Cart struct {
	Items []CartItem `json:"items"`
	// ItemCount is the sum of the quantities of every line shown, purchasable or not.
	ItemCount int `json:"item_count"`
	// SubtotalCents counts only lines that can be bought now (see CartOf).
	SubtotalCents int64 `json:"subtotal_cents"`
	// Currency is nil when the cart has no lines.
	Currency *string `json:"currency"`
	// UpdatedAt is nil when the customer never had a cart.
	UpdatedAt *time.Time `json:"updated_at"`
}

// CartItem is one product in a cart, priced and stocked as of the read.
type CartItem struct {
	ProductID      int64     `json:"product_id"`
	Name           string    `json:"name"`
	Quantity       int       `json:"quantity"`
	UnitPriceCents int64     `json:"unit_price_cents"`
	Currency       string    `json:"currency"`
	LineTotalCents int64     `json:"line_total_cents"`
	Available      int       `json:"available"`
	InStock        bool      `json:"in_stock"`
	Status         string    `json:"status"`
	AddedAt        time.Time `json:"added_at"`
}

// CartOf returns the customer's cart, empty if it has none. Lines whose product was archived
// or unlisted since they were added stay in the cart with their status, so the shopper sees
// why they cannot be bought; the subtotal counts only active lines in the cart's currency.
func (s *Store) CartOf(ctx context.Context, userID string) (Cart, error) {
	cart, err := readCart(ctx, s.Pool.Query, userID)
	if err != nil {
		return Cart{}, fmt.Errorf("cart of user %s: %w", userID, err)
	}
	return cart, nil
}

// SetCartItem sets the quantity of productID in the customer's cart, creating the cart and the
// line as needed, and returns the cart. The product must be active (unknown or unlisted: not
// found; archived: conflict), quantity must not exceed its available stock right now, and its
// currency must match the cart's other active lines (both conflicts).
func (s *Store) SetCartItem(ctx context.Context, userID string, productID int64, quantity int) (Cart, error) {
	if err := checkLineQuantity(quantity); err != nil {
		return Cart{}, err
	}
	var cart Cart
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		p, err := lineProductByID(ctx, tx, productID)
		if err != nil {
			return err
		}
		switch p.Status {
		case "active":
		case "archived":
			return errs.E(errs.Conflict, "product %d is not for sale any more", productID)
		default: // draft: unlisted products are invisible to customers
			return errs.E(errs.NotFound, "product %d not found", productID)
		}
		// Locking the cart row first serializes concurrent changes to one cart, so the currency
		// check below cannot race with another line being added.
		cartID, err := lockListCreating(ctx, tx, cartList, userID)
		if err != nil {
			return err
		}
		var other string
		err = tx.QueryRow(ctx, `
			SELECT p.currency FROM cart_items ci JOIN products p ON p.id = ci.product_id
			WHERE ci.cart_id = $1 AND ci.product_id <> $2 AND p.status = 'active' AND p.currency <> $3
			ORDER BY ci.added_at, ci.product_id LIMIT 1`, cartID, productID, p.Currency).Scan(&other)
		switch {
		case err == nil:
			return errs.E(errs.Conflict, "the cart holds items priced in %s; product %d is priced in %s", other, productID, p.Currency).
				WithDetails("cart_currency", other)
		case !errors.Is(err, pgx.ErrNoRows):
			return classify(err, "cart")
		}
		if quantity > p.Available {
			return errs.E(errs.Conflict, "only %d of product %d available, asked for %d", p.Available, productID, quantity).
				WithDetails("available", p.Available)
		}
		if err := setLine(ctx, tx, cartList, cartID, productID, quantity); err != nil {
			return err
		}
		cart, err = readCart(ctx, tx.Query, userID)
		return err
	})
	if err != nil {
		return Cart{}, fmt.Errorf("set product %d to %d in cart of user %s: %w", productID, quantity, userID, err)
	}
	return cart, nil
}

// RemoveCartItem takes productID out of the customer's cart and returns the cart. Removing a
// product that is not in the cart is not an error: the cart ends as asked.
func (s *Store) RemoveCartItem(ctx context.Context, userID string, productID int64) (Cart, error) {
	cart, err := s.emptyCartWhere(ctx, userID, `AND product_id = $2`, productID)
	if err != nil {
		return Cart{}, fmt.Errorf("remove product %d from cart of user %s: %w", productID, userID, err)
	}
	return cart, nil
}

// ClearCart removes every line from the customer's cart and returns the (empty) cart.
func (s *Store) ClearCart(ctx context.Context, userID string) (Cart, error) {
	cart, err := s.emptyCartWhere(ctx, userID, ``)
	if err != nil {
		return Cart{}, fmt.Errorf("clear cart of user %s: %w", userID, err)
	}
	return cart, nil
}

// emptyCartWhere deletes the cart's lines matching the extra condition (on cart_items, with
// arguments from $2) and returns the cart.
func (s *Store) emptyCartWhere(ctx context.Context, userID, cond string, args ...any) (Cart, error) {
	var cart Cart
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		err := deleteLines(ctx, tx, cartList, userID, cond, args...)
		if err != nil {
			return err
		}
		cart, err = readCart(ctx, tx.Query, userID)
		return err
	})
	return cart, err
}

// queryFunc is the Query method of a pool or a transaction, so reads run in either.
type queryFunc func(ctx context.Context, sql string, args ...any) (pgx.Rows, error)

// readCart loads the cart with current prices and stock, lines in the order they were added.
func readCart(ctx context.Context, query queryFunc, userID string) (Cart, error) {
	lines, updatedAt, err := readLines(ctx, query, cartList, userID)
	if err != nil {
		return Cart{}, err
	}
	cart := Cart{Items: make([]CartItem, 0, len(lines)), UpdatedAt: updatedAt}
	for _, l := range lines {
		cart.Items = append(cart.Items, CartItem{
			ProductID: l.ProductID, Name: l.Name, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents, Currency: l.Currency,
			LineTotalCents: l.UnitPriceCents * int64(l.Quantity), Available: l.Available, InStock: l.InStock, Status: l.Status, AddedAt: l.AddedAt,
		})
	}
	cart.total()
	return cart, nil
}

// total fills the cart's count, currency and subtotal from its lines. The cart's currency is
// that of its active lines, which SetCartItem keeps to one currency; a seller may still change
// a product's currency later, so the earliest active line decides and the subtotal counts only
// active lines in that currency (a sum across currencies means nothing). A cart holding only
// lines that cannot be bought takes its earliest line's currency, with a subtotal of zero.
func (c *Cart) total() {
	for _, it := range c.Items {
		c.ItemCount += it.Quantity
	}
	for _, it := range c.Items {
		if it.Status == "active" {
			c.Currency = &it.Currency
			break
		}
	}
	if c.Currency == nil && len(c.Items) > 0 {
		c.Currency = &c.Items[0].Currency
	}
	for _, it := range c.Items {
		if it.Status == "active" && it.Currency == *c.Currency {
			c.SubtotalCents += it.LineTotalCents
		}
	}
}

// classifyOwner is classify for rows owned by a user: a missing user means the account was
// deleted after its token was issued, which is the caller's credentials going stale.
func classifyOwner(err error, what string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return errs.Wrap(err, errs.Unauthorized, "account no longer exists")
	}
	return classify(err, what)
}
