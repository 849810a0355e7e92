package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"shopflow/audit"
)

// StockCause says why a transaction changes stock: the stock ledger's trigger
// (migrations/00019_stock_ledger.sql) copies it onto every movement the transaction writes.
type StockCause struct {
	// Kind is one of the Movement* kinds.
	Kind     string `json:"kind"`
	OrderID  string `json:"order_id,omitempty"`
	ReturnID string `json:"return_id,omitempty"`
	Note     string `json:"note,omitempty"`
}

// Kinds of stock movement.
const (
	MovementInitial     = "initial"
	MovementRestock     = "restock"
	MovementAdjustment  = "adjustment"
	MovementReservation = "reservation"
	MovementRelease     = "release"
	MovementSale        = "sale"
	MovementReturn      = "return"
	MovementCancel      = "cancel"
)

type stockCauseKey struct{}

// WithStockCause returns ctx carrying the cause of the stock changes made under it.
func WithStockCause(ctx context.Context, c StockCause) context.Context {
	return context.WithValue(ctx, stockCauseKey{}, c)
}

func stockCauseFrom(ctx context.Context) (StockCause, bool) {
	c, ok := ctx.Value(stockCauseKey{}).(StockCause)
	return c, ok && c.Kind != ""
}

// applyTxSettings hands the transaction what triggers need to know that only Go knows: who acts
// (shopflow.actor, read by the audit trigger) and why stock moves (shopflow.stock_cause, read by
// the stock ledger's trigger). Both are transaction-local, so a pooled connection never carries
// them into someone else's transaction; without either it costs no round trip.
func applyTxSettings(ctx context.Context, tx pgx.Tx) error {
	actor, hasActor := audit.ActorFrom(ctx)
	cause, hasCause := stockCauseFrom(ctx)
	if !hasActor && !hasCause {
		return nil
	}
	var actorJSON, causeJSON string
	if hasActor {
		b, err := json.Marshal(actor)
		if err != nil {
			return fmt.Errorf("encode audit actor: %w", err)
		}
		actorJSON = string(b)
	}
	if hasCause {
		b, err := json.Marshal(cause)
		if err != nil {
			return fmt.Errorf("encode stock cause: %w", err)
		}
		causeJSON = string(b)
	}
	_, err := tx.Exec(ctx, `SELECT set_config('shopflow.actor', $1, true), set_config('shopflow.stock_cause', $2, true)`,
		actorJSON, causeJSON)
	if err != nil {
		return fmt.Errorf("set transaction settings: %w", err)
	}
	return nil
}
