package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// errNoPromotionUse aborts a reservation whose promotion has no use left for the order.
var errNoPromotionUse = errors.New("promotion has no use left")

// promotionClaim takes one use of an order's promotion, if it has one, in the reserving
// transaction: the conditional UPDATE locks the promotion's row, so concurrent claims queue
// there and the customer's count in finish sees every claim committed before this one. The
// promotions_uses_within_limit CHECK backs the condition. A promotion without a per-customer
// limit has its use recorded in the same statement; one with a limit needs that count first.
type promotionClaim struct {
	orderID, customerID string
	promotionID         *int64
	claimed, recorded   bool
	perCustomer         *int32
}

// queueClaimPromotion queues the claim of the order's promotion use on b; finish completes it
// once b has run.
func queueClaimPromotion(b *pgx.Batch, orderID string) *promotionClaim {
	c := &promotionClaim{orderID: orderID}
	b.Queue(`
		WITH o AS (SELECT promotion_id, customer_id FROM orders WHERE id = $1),
		u AS (
			UPDATE promotions p SET uses = p.uses + 1, updated_at = now()
			FROM o WHERE p.id = o.promotion_id AND p.active AND (p.usage_limit IS NULL OR p.uses < p.usage_limit)
			  AND p.starts_at <= now() AND (p.ends_at IS NULL OR p.ends_at > now())
			RETURNING p.per_customer_limit),
		r AS (
			INSERT INTO promotion_redemptions (order_id, promotion_id, customer_id, status)
			SELECT $1, o.promotion_id, o.customer_id, 'held' FROM o, u WHERE u.per_customer_limit IS NULL
			RETURNING 1)
		SELECT o.promotion_id, o.customer_id::text, EXISTS (SELECT 1 FROM u), (SELECT per_customer_limit FROM u),
		       EXISTS (SELECT 1 FROM r)
		FROM o`, orderID).QueryRow(func(row pgx.Row) error {
		return row.Scan(&c.promotionID, &c.customerID, &c.claimed, &c.perCustomer, &c.recorded)
	})
	return c
}

// finish records a use the claim could not record itself: with a per-customer limit, after
// counting the customer's uses. errNoPromotionUse when the promotion ended, was switched off,
// or has no use left for the whole shop or for this customer.
func (c *promotionClaim) finish(ctx context.Context, tx pgx.Tx) error {
	switch {
	case c.promotionID == nil || c.recorded:
		return nil
	case !c.claimed:
		return errNoPromotionUse
	}
	var used int32
	if err := tx.QueryRow(ctx, `
		SELECT count(*) FROM promotion_redemptions
		WHERE promotion_id = $1 AND customer_id = $2 AND status <> 'released'`, *c.promotionID, c.customerID).Scan(&used); err != nil {
		return err
	}
	if c.perCustomer != nil && used >= *c.perCustomer {
		return errNoPromotionUse
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO promotion_redemptions (order_id, promotion_id, customer_id, status) VALUES ($1, $2, $3, 'held')`,
		c.orderID, *c.promotionID, c.customerID)
	return err
}

// releasePromotion gives the order's use back, when the order is canceled.
func releasePromotion(ctx context.Context, tx pgx.Tx, orderID string) error {
	_, err := tx.Exec(ctx, `
		WITH released AS (
			UPDATE promotion_redemptions SET status = 'released', updated_at = now()
			WHERE order_id = $1 AND status <> 'released' RETURNING promotion_id)
		UPDATE promotions p SET uses = p.uses - 1, updated_at = now()
		FROM released r WHERE p.id = r.promotion_id`, orderID)
	return err
}
