package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// Wishlist is the products a customer wants some day, shown with current prices and stock.
type Wishlist struct {
	Items []WishlistItem `json:"items"`
	// UpdatedAt is nil when the customer never had a wishlist.
	UpdatedAt *time.Time `json:"updated_at"`
}

// WishlistItem is one wished-for product, priced and stocked as of the read.
type WishlistItem struct {
	ProductID      int64     `json:"product_id"`
	Name           string    `json:"name"`
	Quantity       int       `json:"quantity"`
	UnitPriceCents int64     `json:"unit_price_cents"`
	Currency       string    `json:"currency"`
	Available      int       `json:"available"`
	InStock        bool      `json:"in_stock"`
	Status         string    `json:"status"`
	AddedAt        time.Time `json:"added_at"`
}

// WishlistOf returns the customer's wishlist, empty if it has none. Lines whose product was
// archived or unlisted since stay, with their status, so the shopper sees what became of them.
func (s *Store) WishlistOf(ctx context.Context, userID string) (Wishlist, error) {
	w, err := readWishlist(ctx, s.Pool.Query, userID)
	if err != nil {
		return Wishlist{}, fmt.Errorf("wishlist of user %s: %w", userID, err)
	}
	return w, nil
}

// SetWishlistItem sets the quantity of productID on the customer's wishlist, creating the
// wishlist and the line as needed. The product must be active (anything else: not found);
// stock is not checked, since people wish most for what is sold out.
func (s *Store) SetWishlistItem(ctx context.Context, userID string, productID int64, quantity int) (Wishlist, error) {
	if err := checkLineQuantity(quantity); err != nil {
		return Wishlist{}, err
	}
	var w Wishlist
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		p, err := lineProductByID(ctx, tx, productID)
		if err != nil {
			return err
		}
		if p.Status != "active" {
			return errs.E(errs.NotFound, "product %d not found", productID)
		}
		var wishlistID string
		err = tx.QueryRow(ctx, `
			INSERT INTO wishlists (user_id) VALUES ($1)
			ON CONFLICT (user_id) DO UPDATE SET updated_at = now()
			RETURNING id`, userID).Scan(&wishlistID)
		if err != nil {
			return classifyOwner(err, "wishlist")
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO wishlist_items (wishlist_id, product_id, quantity) VALUES ($1, $2, $3)
			ON CONFLICT (wishlist_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now()`,
			wishlistID, productID, quantity); err != nil {
			return classify(err, "wishlist item")
		}
		w, err = readWishlist(ctx, tx.Query, userID)
		return err
	})
	if err != nil {
		return Wishlist{}, fmt.Errorf("set product %d to %d on wishlist of user %s: %w", productID, quantity, userID, err)
	}
	return w, nil
}

// RemoveWishlistItem takes productID off the customer's wishlist and returns the wishlist.
// Removing a product that is not on it is not an error.
func (s *Store) RemoveWishlistItem(ctx context.Context, userID string, productID int64) (Wishlist, error) {
	var w Wishlist
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		// Wishlist row first, then its lines: the lock order SetWishlistItem uses.
		var wishlistID string
		err := tx.QueryRow(ctx, `SELECT id FROM wishlists WHERE user_id = $1 FOR UPDATE`, userID).Scan(&wishlistID)
		if errors.Is(err, pgx.ErrNoRows) {
			w = Wishlist{Items: []WishlistItem{}}
			return nil
		}
		if err != nil {
			return classify(err, "wishlist")
		}
		tag, err := tx.Exec(ctx, `DELETE FROM wishlist_items WHERE wishlist_id = $1 AND product_id = $2`, wishlistID, productID)
		if err != nil {
			return classify(err, "wishlist item")
		}
		if tag.RowsAffected() > 0 {
			if _, err := tx.Exec(ctx, `UPDATE wishlists SET updated_at = now() WHERE id = $1`, wishlistID); err != nil {
				return classify(err, "wishlist")
			}
		}
		w, err = readWishlist(ctx, tx.Query, userID)
		return err
	})
	if err != nil {
		return Wishlist{}, fmt.Errorf("remove product %d from wishlist of user %s: %w", productID, userID, err)
	}
	return w, nil
}

// readWishlist loads the wishlist with current prices and stock, lines in the order added.
func readWishlist(ctx context.Context, query queryFunc, userID string) (Wishlist, error) {
	rows, err := query(ctx, `
		SELECT w.updated_at, wi.product_id, p.name, wi.quantity, p.price_cents, p.currency,
		       coalesce(i.on_hand - i.reserved, 0), p.status, wi.added_at
		FROM wishlists w
		LEFT JOIN wishlist_items wi ON wi.wishlist_id = w.id
		LEFT JOIN products p ON p.id = wi.product_id
		LEFT JOIN inventory i ON i.product_id = wi.product_id
		WHERE w.user_id = $1
		ORDER BY wi.added_at, wi.product_id`, userID)
	if err != nil {
		return Wishlist{}, classify(err, "wishlist")
	}
	defer rows.Close()
	w := Wishlist{Items: []WishlistItem{}}
	for rows.Next() {
		// Every line column is NULL for a wishlist that exists but has no lines.
		var (
			updatedAt             time.Time
			productID             *int64
			name, currency, state *string
			quantity, available   *int
			price                 *int64
			addedAt               *time.Time
		)
		if err := rows.Scan(&updatedAt, &productID, &name, &quantity, &price, &currency, &available, &state, &addedAt); err != nil {
			return Wishlist{}, classify(err, "wishlist")
		}
		updatedAt = updatedAt.UTC()
		w.UpdatedAt = &updatedAt
		if productID == nil {
			continue
		}
		it := WishlistItem{
			ProductID: *productID, Name: *name, Quantity: *quantity, UnitPriceCents: *price, Currency: *currency,
			Available: max(*available, 0), Status: *state, AddedAt: addedAt.UTC(),
		}
		it.InStock = it.Available > 0
		w.Items = append(w.Items, it)
	}
	if err := rows.Err(); err != nil {
		return Wishlist{}, classify(err, "wishlist")
	}
	return w, nil
}
