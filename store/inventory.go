package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// Inventory is a product's stock: on hand, reserved for checkouts in progress, and the level
// at or below which the seller wants to hear that stock is low.
type Inventory struct {
	ProductID         int64
	OnHand            int
	Reserved          int
	LowStockThreshold int
	UpdatedAt         time.Time
}

// Available is the stock that can still be reserved.
func (inv Inventory) Available() int { return max(inv.OnHand-inv.Reserved, 0) }

// LowStock reports whether available stock is at or below the threshold; with the default
// threshold of 0 that means sold out.
func (inv Inventory) LowStock() bool { return inv.Available() <= inv.LowStockThreshold }

// MarshalJSON writes the API's Inventory shape.
func (inv Inventory) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ProductID         int64     `json:"product_id"`
		OnHand            int       `json:"on_hand"`
		Reserved          int       `json:"reserved"`
		Available         int       `json:"available"`
		LowStockThreshold int       `json:"low_stock_threshold"`
		LowStock          bool      `json:"low_stock"`
		UpdatedAt         time.Time `json:"updated_at"`
	}{inv.ProductID, inv.OnHand, inv.Reserved, inv.Available(), inv.LowStockThreshold, inv.LowStock(), inv.UpdatedAt})
}

const inventoryColumns = `product_id, on_hand, reserved, low_stock_threshold, updated_at`

func scanInventory(row pgx.Row) (Inventory, error) {
	var inv Inventory
	err := row.Scan(&inv.ProductID, &inv.OnHand, &inv.Reserved, &inv.LowStockThreshold, &inv.UpdatedAt)
	inv.UpdatedAt = inv.UpdatedAt.UTC()
	return inv, err
}

// InventoryOf returns a product's stock.
func (s *Store) InventoryOf(ctx context.Context, productID int64) (Inventory, error) {
	inv, err := scanInventory(s.Pool.QueryRow(ctx, `SELECT `+inventoryColumns+` FROM inventory WHERE product_id = $1`, productID))
	if err != nil {
		return Inventory{}, fmt.Errorf("inventory of product %d: %w", productID, classify(err, "product"))
	}
	return inv, nil
}

// SetInventory sets a product's stock on hand after a count, and its low-stock threshold when
// lowStockThreshold is not nil. Stock on hand below what checkouts have reserved is a conflict
// carrying details["reserved"]: the seller must wait for those checkouts to finish.
//
// It locks the row first, so no reservation moves between the check and the update, and the
// ledger records the count as a restock (more on hand) or an adjustment (less), with the actor
// InTx puts into the transaction.
func (s *Store) SetInventory(ctx context.Context, productID int64, onHand int, lowStockThreshold *int) (Inventory, error) {
	var inv Inventory
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var was, reserved int
		err := tx.QueryRow(ctx, `SELECT on_hand, reserved FROM inventory WHERE product_id = $1 FOR UPDATE`, productID).
			Scan(&was, &reserved)
		if err != nil {
			return classify(err, "product")
		}
		if reserved > onHand {
			return errs.E(errs.Conflict, "on_hand %d is below the %d units reserved by checkouts in progress", onHand, reserved).
				WithDetails("reserved", reserved)
		}
		if onHand != was {
			cause := StockCause{Kind: MovementRestock, Note: "stock count"}
			if onHand < was {
				cause.Kind = MovementAdjustment
			}
			if err := setStockCause(ctx, tx, cause); err != nil {
				return err
			}
		}
		inv, err = scanInventory(tx.QueryRow(ctx, `UPDATE inventory SET
				on_hand = $2,
				low_stock_threshold = coalesce($3, low_stock_threshold),
				-- Restocking above the threshold re-arms the low-stock alert for the next crossing.
				low_stock_alerted = low_stock_alerted AND $2 - reserved <= coalesce($3, low_stock_threshold),
				updated_at = now()
			WHERE product_id = $1
			RETURNING `+inventoryColumns, productID, onHand, lowStockThreshold))
		return err
	})
	if err != nil {
		return Inventory{}, fmt.Errorf("set inventory of product %d: %w", productID, classify(err, "inventory"))
	}
	return inv, nil
}
