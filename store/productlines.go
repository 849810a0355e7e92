package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// MaxLineQuantity is the most units of one product a cart or wishlist line may hold. The
// schema allows more; this is the shop's rule, checked here so every caller obeys it.
const MaxLineQuantity = 1000

// productList names a per-customer list of products. Carts and wishlists keep their lines in
// tables of one scheme (carts, cart_items.cart_id; wishlists, wishlist_items.wishlist_id), so
// the SQL that reads and edits lines is written once for both.
type productList string

const (
	cartList     productList = "cart"
	wishlistList productList = "wishlist"
)

// productLine is one line of a list as it stands now. It has WishlistItem's fields so a
// wishlist line converts directly; a cart line adds its total.
type productLine struct {
	ProductID      int64
	Name           string
	Quantity       int
	UnitPriceCents int64
	Currency       string
	Available      int
	InStock        bool
	Status         string
	AddedAt        time.Time
}

// readLines loads the customer's list with every line's current price, status and stock, in
// the order the lines were added. updatedAt is nil when the customer never had the list.
func readLines(ctx context.Context, query queryFunc, list productList, userID string) (lines []productLine, updatedAt *time.Time, err error) {
	rows, err := query(ctx, fmt.Sprintf(`
		SELECT l.updated_at, li.product_id, p.name, li.quantity, p.price_cents, p.currency,
		       coalesce(i.on_hand - i.reserved, 0), p.status, li.added_at
		FROM %[1]ss l
		LEFT JOIN %[1]s_items li ON li.%[1]s_id = l.id
		LEFT JOIN products p ON p.id = li.product_id
		LEFT JOIN inventory i ON i.product_id = li.product_id
		WHERE l.user_id = $1
		ORDER BY li.added_at, li.product_id`, list), userID)
	if err != nil {
		return nil, nil, classify(err, string(list))
	}
	defer rows.Close()
	for rows.Next() {
		// Every line column is NULL for a list that exists but has no lines.
		var (
			listUpdatedAt         time.Time
			productID             *int64
			name, currency, state *string
			quantity, available   *int
			price                 *int64
			addedAt               *time.Time
		)
		if err := rows.Scan(&listUpdatedAt, &productID, &name, &quantity, &price, &currency, &available, &state, &addedAt); err != nil {
			return nil, nil, classify(err, string(list))
		}
		listUpdatedAt = listUpdatedAt.UTC()
		updatedAt = &listUpdatedAt
		if productID == nil {
			continue
		}
		l := productLine{
			ProductID: *productID, Name: *name, Quantity: *quantity, UnitPriceCents: *price, Currency: *currency,
			Available: max(*available, 0), Status: *state, AddedAt: addedAt.UTC(),
		}
		l.InStock = l.Available > 0
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, classify(err, string(list))
	}
	return lines, updatedAt, nil
}

// lockListCreating returns the id of the customer's list, creating it if needed, with the list
// row locked until tx ends. The upsert never fails when two requests create the same list.
func lockListCreating(ctx context.Context, tx pgx.Tx, list productList, userID string) (string, error) {
	var id string
	err := tx.QueryRow(ctx, fmt.Sprintf(`
		INSERT INTO %ss (user_id) VALUES ($1)
		ON CONFLICT (user_id) DO UPDATE SET updated_at = now()
		RETURNING id`, list), userID).Scan(&id)
	if err != nil {
		return "", classifyOwner(err, string(list))
	}
	return id, nil
}

// setLine puts productID on the list with the given quantity, replacing any quantity it had.
func setLine(ctx context.Context, tx pgx.Tx, list productList, listID string, productID int64, quantity int) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(`
		INSERT INTO %[1]s_items (%[1]s_id, product_id, quantity) VALUES ($1, $2, $3)
		ON CONFLICT (%[1]s_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now()`, list),
		listID, productID, quantity); err != nil {
		return classify(err, string(list)+" item")
	}
	return nil
}

// deleteLines deletes the list's lines matching the extra condition (on the items table, with
// arguments from $2) and touches the list only when something went. A customer without the
// list has nothing to delete, which is not an error.
func deleteLines(ctx context.Context, tx pgx.Tx, list productList, userID, cond string, args ...any) error {
	// List row first, then its lines: the lock order of the Set functions, so the two never deadlock.
	var listID string
	err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT id FROM %ss WHERE user_id = $1 FOR UPDATE`, list), userID).Scan(&listID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return classify(err, string(list))
	}
	tag, err := tx.Exec(ctx, fmt.Sprintf(`DELETE FROM %[1]s_items WHERE %[1]s_id = $1 `, list)+cond, append([]any{listID}, args...)...)
	if err != nil {
		return classify(err, string(list)+" item")
	}
	if tag.RowsAffected() > 0 {
		if _, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE %ss SET updated_at = now() WHERE id = $1`, list), listID); err != nil {
			return classify(err, string(list))
		}
	}
	return nil
}

// lineProduct is what a cart or wishlist needs to know about a product before taking it.
type lineProduct struct {
	Status    string
	Currency  string
	Available int
}

// lineProductByID reads a product's status, currency and available stock inside tx.
func lineProductByID(ctx context.Context, tx pgx.Tx, productID int64) (lineProduct, error) {
	var p lineProduct
	err := tx.QueryRow(ctx, `
		SELECT p.status, p.currency, coalesce(i.on_hand - i.reserved, 0)
		FROM products p LEFT JOIN inventory i ON i.product_id = p.id
		WHERE p.id = $1`, productID).Scan(&p.Status, &p.Currency, &p.Available)
	if errors.Is(err, pgx.ErrNoRows) {
		return lineProduct{}, errs.Wrap(err, errs.NotFound, "product %d not found", productID)
	}
	if err != nil {
		return lineProduct{}, classify(err, "product")
	}
	p.Available = max(p.Available, 0)
	return p, nil
}

func checkLineQuantity(quantity int) error {
	if quantity < 1 || quantity > MaxLineQuantity {
		return (&errs.Error{Code: errs.Unprocessable, Message: fmt.Sprintf("quantity must be between 1 and %d", MaxLineQuantity)}).
			WithDetails("fields", map[string]string{"quantity": fmt.Sprintf("must be between 1 and %d", MaxLineQuantity)})
	}
	return nil
}
