package store

import (
	"context"
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
		wishlistID, err := lockListCreating(ctx, tx, wishlistList, userID)
		if err != nil {
			return err
		}
		if err := setLine(ctx, tx, wishlistList, wishlistID, productID, quantity); err != nil {
			return err
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
		err := deleteLines(ctx, tx, wishlistList, userID, `AND product_id = $2`, productID)
		if err != nil {
			return err
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
	lines, updatedAt, err := readLines(ctx, query, wishlistList, userID)
	if err != nil {
		return Wishlist{}, err
	}
	w := Wishlist{Items: make([]WishlistItem, len(lines)), UpdatedAt: updatedAt}
	for i, l := range lines {
		w.Items[i] = WishlistItem(l)
	}
	return w, nil
}
