package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// MaxInterests bounds how many of a customer's purchased and of their wishlisted products
// CustomerInterests returns (the most recent of each): enough to exclude what a customer
// bought over years of shopping, and to seed their recommendations.
const MaxInterests = 1000

// ProductCard is what a recommendation shows of a product: enough for a storefront's product
// card, without the description or stock counts.
type ProductCard struct {
	ID         int64
	Name       string
	CategoryID int64
	SellerID   string
	StoreName  string
	PriceCents int64
	Currency   string
	// Status is the product's status when read; recommendations never show inactive ones.
	Status string
}

// Interest is one product a customer bought or wishlisted, with when they last did so.
type Interest struct {
	ProductID  int64
	CategoryID int64
	At         time.Time
}

// CustomerInterests is what a customer's recommendations are made from.
type CustomerInterests struct {
	// Purchased are the products of the customer's placed, shipped and delivered orders, most
	// recently bought first; At is the latest order holding the product.
	Purchased []Interest
	// Wishlisted are the products on the customer's wishlist, most recently added first.
	Wishlisted []Interest
}

// ProductCards returns the cards of the products among ids that exist, in any status, in id
// order.
func (s *Store) ProductCards(ctx context.Context, ids []int64) ([]ProductCard, error) {
	rows, err := s.Pool.Query(ctx, `SELECT p.id, p.name, p.category_id, p.seller_id, s.store_name, p.price_cents,
			p.currency, p.status
		FROM products p JOIN sellers s ON s.id = p.seller_id
		WHERE p.id = ANY($1) ORDER BY p.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("product cards of %d products: %w", len(ids), classify(err, "product"))
	}
	cards, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ProductCard, error) {
		var c ProductCard
		err := r.Scan(&c.ID, &c.Name, &c.CategoryID, &c.SellerID, &c.StoreName, &c.PriceCents, &c.Currency, &c.Status)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("product cards of %d products: %w", len(ids), classify(err, "product"))
	}
	return cards, nil
}

// UnavailableProductIDs returns every product that must not be recommended: not active
// (draft or archived), or with no stock left to reserve. One scan of products and inventory;
// callers cache the answer for a few seconds.
func (s *Store) UnavailableProductIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT p.id FROM products p LEFT JOIN inventory i ON i.product_id = p.id
		WHERE p.status <> 'active' OR coalesce(i.on_hand - i.reserved, 0) <= 0`)
	if err != nil {
		return nil, fmt.Errorf("unavailable products: %w", classify(err, "product"))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("unavailable products: %w", classify(err, "product"))
	}
	return ids, nil
}

// RootCategoryIDs returns the categories without a parent, in id order: between them their
// top sellers are the shop's most popular products.
func (s *Store) RootCategoryIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id FROM categories WHERE parent_id IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("root categories: %w", classify(err, "category"))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("root categories: %w", classify(err, "category"))
	}
	return ids, nil
}

// CustomerInterests returns the products the customer bought (orders placed, shipped or
// delivered: not pending, canceled or refunded ones) and wishlisted, at most MaxInterests of
// each, with the category each product is in now.
func (s *Store) CustomerInterests(ctx context.Context, customerID string) (CustomerInterests, error) {
	var ci CustomerInterests
	scan := func(r pgx.CollectableRow) (Interest, error) {
		var in Interest
		err := r.Scan(&in.ProductID, &in.CategoryID, &in.At)
		in.At = in.At.UTC()
		return in, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT oi.product_id, p.category_id, max(o.created_at) AS at
		FROM orders o
		JOIN order_items oi ON oi.order_id = o.id
		JOIN products p ON p.id = oi.product_id
		WHERE o.customer_id = $1 AND o.status IN ('placed', 'shipped', 'delivered')
		GROUP BY oi.product_id, p.category_id
		ORDER BY at DESC, oi.product_id LIMIT $2`, customerID, MaxInterests)
	if err == nil {
		ci.Purchased, err = pgx.CollectRows(rows, scan)
	}
	if err != nil {
		return CustomerInterests{}, fmt.Errorf("purchases of customer %s: %w", customerID, classify(err, "customer"))
	}
	rows, err = s.Pool.Query(ctx, `SELECT wi.product_id, p.category_id, wi.added_at
		FROM wishlists w
		JOIN wishlist_items wi ON wi.wishlist_id = w.id
		JOIN products p ON p.id = wi.product_id
		WHERE w.user_id = $1
		ORDER BY wi.added_at DESC, wi.product_id LIMIT $2`, customerID, MaxInterests)
	if err == nil {
		ci.Wishlisted, err = pgx.CollectRows(rows, scan)
	}
	if err != nil {
		return CustomerInterests{}, fmt.Errorf("wishlist of customer %s: %w", customerID, classify(err, "customer"))
	}
	return ci, nil
}
