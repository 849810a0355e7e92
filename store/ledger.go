package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// StockMovement is one change of a product's stock, as the ledger's trigger recorded it
// (migrations/00019_stock_ledger.sql): a product's on_hand and reserved are always the sums of
// its movements' deltas.
type StockMovement struct {
	ID            int64     `json:"id"`
	ProductID     int64     `json:"product_id"`
	Kind          string    `json:"kind"`
	OnHandDelta   int       `json:"on_hand_delta"`
	ReservedDelta int       `json:"reserved_delta"`
	OnHandAfter   int       `json:"on_hand_after"`
	ReservedAfter int       `json:"reserved_after"`
	OrderID       *string   `json:"order_id"`
	ReturnID      *string   `json:"return_id"`
	ActorID       *string   `json:"actor_id"`
	Note          string    `json:"note"`
	CreatedAt     time.Time `json:"created_at"`
}

// MovementKinds lists every kind of stock movement, in the order a product's life meets them.
var MovementKinds = []string{MovementInitial, MovementRestock, MovementAdjustment, MovementReservation,
	MovementRelease, MovementSale, MovementReturn, MovementCancel}

// ValidMovementKind reports whether kind names a kind of stock movement.
func ValidMovementKind(kind string) bool {
	for _, k := range MovementKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// MovementFilter selects a page of a product's movements, newest first.
type MovementFilter struct {
	ProductID int64
	// Kind, when set, keeps only movements of that kind.
	Kind   string
	Limit  int
	Cursor string
}

// MovementPage is one page of movements and the cursor of the next (nil on the last page).
type MovementPage struct {
	Items      []StockMovement
	NextCursor *string
}

// scope ties a cursor to the list it came from: the product and the kind filter.
func (f MovementFilter) scope() string {
	return strconv.FormatInt(f.ProductID, 10) + ":" + f.Kind
}

// ListStockMovements returns one page of a product's movements, newest first. A cursor from
// another list, or a malformed one, is an invalid request.
func (s *Store) ListStockMovements(ctx context.Context, f MovementFilter) (MovementPage, error) {
	if f.Kind != "" && !ValidMovementKind(f.Kind) {
		return MovementPage{}, invalidParam("kind", "must be one of "+strings.Join(MovementKinds, ", "))
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	var before int64 // ids are positive: 0 means from the newest
	if f.Cursor != "" {
		id, err := decodeMovementCursor(f.Cursor, f.scope())
		if err != nil {
			return MovementPage{}, err
		}
		before = id
	}
	rows, err := s.Pool.Query(ctx, `
		SELECT id, product_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after,
		       order_id::text, return_id::text, actor_id::text, note, created_at
		FROM stock_movements
		WHERE product_id = $1 AND ($2 = '' OR kind = $2) AND ($3 = 0 OR id < $3)
		ORDER BY id DESC LIMIT $4`, f.ProductID, f.Kind, before, f.Limit+1)
	if err != nil {
		return MovementPage{}, fmt.Errorf("list stock movements of product %d: %w", f.ProductID, err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StockMovement, error) {
		var m StockMovement
		err := r.Scan(&m.ID, &m.ProductID, &m.Kind, &m.OnHandDelta, &m.ReservedDelta, &m.OnHandAfter, &m.ReservedAfter,
			&m.OrderID, &m.ReturnID, &m.ActorID, &m.Note, &m.CreatedAt)
		m.CreatedAt = m.CreatedAt.UTC()
		return m, err
	})
	if err != nil {
		return MovementPage{}, fmt.Errorf("list stock movements of product %d: %w", f.ProductID, err)
	}
	page := MovementPage{Items: items}
	if len(items) > f.Limit {
		page.Items = items[:f.Limit]
		next := base64.RawURLEncoding.EncodeToString([]byte(f.scope() + "@" + strconv.FormatInt(page.Items[f.Limit-1].ID, 10)))
		page.NextCursor = &next
	}
	return page, nil
}

func decodeMovementCursor(cursor, scope string) (int64, error) {
	bad := invalidParam("cursor", "is not a cursor this list gave out")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, bad
	}
	s, idText, ok := strings.Cut(string(b), "@")
	if !ok {
		return 0, bad
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return 0, bad
	}
	if s != scope {
		return 0, invalidParam("cursor", "was made for another product or kind; start again without a cursor")
	}
	return id, nil
}

// setStockCause names the cause of the stock changes the rest of tx makes, for when it is known
// only inside the transaction (a count's direction). It overrides what InTx set from ctx.
func setStockCause(ctx context.Context, tx pgx.Tx, c StockCause) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode stock cause: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('shopflow.stock_cause', $1, true)`, string(b)); err != nil {
		return fmt.Errorf("set stock cause: %w", err)
	}
	return nil
}

// lockOrderFor locks the order as lockOrder does and, in the same statement, names the stock
// cause of the saga step (kind, for this order, unless ctx names another) for the ledger's
// trigger: every checkout would otherwise pay one more round trip to set it.
func lockOrderFor(ctx context.Context, tx pgx.Tx, orderID, kind string) (string, error) {
	cause, err := stockCauseJSON(ctx, kind, orderID)
	if err != nil {
		return "", err
	}
	var status, set string
	err = tx.QueryRow(ctx, `SELECT status, set_config('shopflow.stock_cause', $2, true) FROM orders WHERE id = $1 FOR UPDATE`,
		orderID, cause).Scan(&status, &set)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", errs.E(errs.NotFound, "order %s not found", orderID)
	}
	return status, err
}

// stockCauseJSON is the cause a checkout step names unless ctx names one: the JSON to pass to
// set_config in the statement that locks the order, so naming it costs no round trip.
func stockCauseJSON(ctx context.Context, kind, orderID string) (string, error) {
	c, ok := stockCauseFrom(ctx)
	if !ok {
		c = StockCause{Kind: kind}
	}
	if c.OrderID == "" {
		c.OrderID = orderID
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode stock cause: %w", err)
	}
	return string(b), nil
}
