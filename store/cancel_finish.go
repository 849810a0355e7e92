package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// RestockCancellation puts the canceled units back on the shelf, once: the cancellation's
// restocked_at is the gate, set in the same transaction. The stock cause (cancel, the order)
// goes with the transaction, so the stock ledger records why.
func (s *Store) RestockCancellation(ctx context.Context, id string) error {
	c, err := s.CancellationByID(ctx, id)
	if err != nil {
		return err
	}
	ctx = WithStockCause(ctx, StockCause{Kind: MovementCancel, OrderID: c.OrderID, Note: "cancellation " + id})
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE cancellations SET restocked_at = now(), updated_at = now()
			WHERE id = $1 AND restocked_at IS NULL`, id)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		// Product order, so two restocks touching the same products never deadlock.
		_, err = tx.Exec(ctx, `
			UPDATE inventory v SET on_hand = v.on_hand + x.n, updated_at = now()
			FROM (SELECT i.product_id, sum(l.quantity) AS n
			      FROM cancellation_lines l JOIN order_items i ON i.order_id = l.order_id AND i.line_no = l.line_no
			      WHERE l.cancellation_id = $1 GROUP BY i.product_id ORDER BY i.product_id) x
			WHERE v.product_id = x.product_id`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("restock cancellation %s: %w", id, classify(err, "cancellation"))
	}
	return nil
}

// SetCancellationRefund records the cancellation's refund and where it stands: requested while
// it is pending, refund_failed while the provider refuses it.
func (s *Store) SetCancellationRefund(ctx context.Context, id, refundID, status string) error {
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE cancellations SET refund_id = $2::uuid, status = $3, updated_at = now()
			WHERE id = $1 AND status <> 'completed'`, id, refundID, status)
		return err
	})
	if err != nil {
		return fmt.Errorf("cancellation %s refund: %w", id, classify(err, "cancellation"))
	}
	return nil
}

// FinishCancellation completes the cancellation and tells the customer and each seller whose
// lines it canceled, once.
func (s *Store) FinishCancellation(ctx context.Context, id string) error {
	c, err := s.CancellationByID(ctx, id)
	if err != nil {
		return err
	}
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE cancellations SET status = 'completed', updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		var customer string
		if err := tx.QueryRow(ctx, `SELECT customer_id::text FROM orders WHERE id = $1`, c.OrderID).Scan(&customer); err != nil {
			return err
		}
		note := cancelNote(c.Lines, c.Reason)
		data := map[string]any{"cancellation_id": id, "order_id": c.OrderID, "refund_id": c.RefundID}
		if err := QueueNotice(ctx, tx, Notice{Key: "cancel:" + id + ":customer", RecipientID: customer, Kind: "order_lines_canceled",
			Subject: "Part of your order was canceled", Text: "Order " + c.OrderID + ": " + note + ". Your refund has been issued.",
			Data: data}); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT s.user_id::text FROM cancellation_lines l
			JOIN order_items i ON i.order_id = l.order_id AND i.line_no = l.line_no JOIN sellers s ON s.id = i.seller_id
			WHERE l.cancellation_id = $1 ORDER BY 1`, id)
		if err != nil {
			return err
		}
		sellers, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, u := range sellers {
			if err := QueueNotice(ctx, tx, Notice{Key: "cancel:" + id + ":" + u, RecipientID: u, Kind: "seller_order_lines_canceled",
				Subject: "Order lines canceled", Text: "Order " + c.OrderID + ": " + note + ". Do not ship them; the stock is back.",
				Data: data}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish cancellation %s: %w", id, classify(err, "cancellation"))
	}
	s.AnnounceOutbox(ctx)
	return nil
}
