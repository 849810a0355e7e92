package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
	"shopflow/pricing"
)

// QuoteOrder prices what a checkout of no would charge now, reserving and writing nothing.
func (s *Store) QuoteOrder(ctx context.Context, no NewOrder) (pricing.Quote, error) {
	var q pricing.Quote
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		cartID := ""
		if no.Items == nil {
			if err := tx.QueryRow(ctx, `SELECT id FROM carts WHERE user_id = $1`, no.CustomerID).Scan(&cartID); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return classify(err, "cart")
			}
		}
		reads, err := s.readForOrder(ctx, tx, no, cartID, "", time.Now())
		if err != nil {
			return err
		}
		lines, err := reads.lines(no)
		if err != nil {
			return err
		}
		q, err = s.priceOrder(ctx, reads.pricing, no, lines)
		return err
	})
	if err != nil {
		return pricing.Quote{}, fmt.Errorf("quote for customer %s: %w", no.CustomerID, classify(err, "order"))
	}
	return q, nil
}

// priceOrder checks that every line can be sold, in one currency, and prices the order.
func (s *Store) priceOrder(ctx context.Context, reads *pricingReads, no NewOrder, lines []pricedLine) (pricing.Quote, error) {
	for _, l := range lines {
		if l.Status != ProductActive {
			return pricing.Quote{}, errs.E(errs.Conflict, "product %d is not for sale", l.ProductID).
				WithDetails("product_id", l.ProductID).WithDetails("product_status", l.Status)
		}
	}
	currency := lines[0].Currency
	req := pricing.Request{
		CustomerID: no.CustomerID, Currency: currency, ShippingMethod: no.ShippingMethod,
		Coupon: strings.TrimSpace(no.Coupon), Now: reads.now,
		Destination: pricing.Destination{Country: no.ShippingAddress.Country, Region: no.ShippingAddress.Region},
	}
	for _, l := range lines {
		if l.Currency != currency {
			return pricing.Quote{}, errs.E(errs.Unprocessable, "an order is paid in one currency, but product %d is priced in %s and product %d in %s",
				lines[0].ProductID, currency, l.ProductID, l.Currency).
				WithDetails("product_id", l.ProductID).WithDetails("currencies", []string{currency, l.Currency})
		}
		req.Lines = append(req.Lines, pricing.Line{ProductID: l.ProductID, Name: l.Name, SellerID: l.SellerID,
			CategoryID: l.CategoryID, Quantity: int64(l.Quantity), UnitPriceCents: l.PriceCents,
			WeightGrams: l.WeightGrams, TaxClass: l.TaxClass})
	}
	q, err := s.quoter(reads).Quote(ctx, req)
	if err != nil {
		return pricing.Quote{}, err
	}
	if no.ExpectedTotalCents != nil && *no.ExpectedTotalCents != q.TotalCents {
		return pricing.Quote{}, errs.E(errs.Conflict, "the order now costs %d, not the %d expected; quote again", q.TotalCents, *no.ExpectedTotalCents).
			WithDetails("total_cents", q.TotalCents).WithDetails("expected_total_cents", *no.ExpectedTotalCents)
	}
	return q, nil
}

func promotionID(q pricing.Quote) *int64 {
	if q.Promotion == nil {
		return nil
	}
	return &q.Promotion.ID
}

func couponCode(q pricing.Quote) string {
	if q.Promotion == nil {
		return ""
	}
	return q.Promotion.Code
}

// insertOrder writes the order with its lines (numbered from 1, with their discounts and taxes),
// its shipments (one per seller, when it has shipping) and its first timeline event, in one
// statement, and returns its id. pgx.ErrNoRows means an order with the same idempotency key
// exists: nothing was written.
func insertOrder(ctx context.Context, tx pgx.Tx, no NewOrder, hash string, lines []pricedLine, q pricing.Quote) (string, error) {
	n := len(lines)
	lineNos, products, quantities, prices := make([]int32, n), make([]int64, n), make([]int32, n), make([]int64, n)
	sellers, names, currencies := make([]string, n), make([]string, n), make([]string, n)
	discounts, taxes, rates := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, l := range lines {
		lineNos[i], products[i], quantities[i], prices[i] = int32(i+1), l.ProductID, int32(l.Quantity), l.PriceCents
		sellers[i], names[i], currencies[i] = l.SellerID, l.Name, l.Currency
		discounts[i], taxes[i], rates[i] = q.Lines[i].DiscountCents, q.Lines[i].TaxCents, q.Lines[i].TaxRatePPM
	}
	var sh shipmentColumns
	if q.ShippingMethod != "" {
		sh = shipmentColumnsOf(q.Shipments)
	}
	var orderID string
	err := tx.QueryRow(ctx, `
		WITH o AS (
			INSERT INTO orders (customer_id, currency, total_cents, subtotal_cents, discount_cents, shipping_cents,
			                    shipping_discount_cents, tax_cents, prices_include_tax, shipping_method, promotion_id,
			                    coupon_code, client_ip, payment_method, shipping_address, idempotency_key, request_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULLIF($10, ''), $11, NULLIF($12, ''), NULLIF($13, '')::inet, $14, $15, $16, $17)
			ON CONFLICT (customer_id, idempotency_key) DO NOTHING
			RETURNING id),
		lines AS (
			INSERT INTO order_items (order_id, line_no, product_id, seller_id, name, quantity, unit_price_cents, currency,
			                         discount_cents, tax_cents, tax_rate_ppm)
			SELECT o.id, l.* FROM o, unnest($18::int[], $19::bigint[], $20::uuid[], $21::text[], $22::int[], $23::bigint[],
			                                 $24::text[], $25::bigint[], $26::bigint[], $27::int[]) AS l),
		shipments AS (
			INSERT INTO order_shipments (order_id, seller_id, method_code, method_name, weight_grams, shipping_cents,
			                             discount_cents, tax_cents, tax_rate_ppm)
			SELECT o.id, s.* FROM o, unnest($28::uuid[], $29::text[], $30::text[], $31::bigint[], $32::bigint[],
			                                 $33::bigint[], $34::bigint[], $35::int[]) AS s),
		event AS (
			INSERT INTO order_events (order_id, status, note) SELECT o.id, $36, 'order received' FROM o)
		SELECT id::text FROM o`,
		no.CustomerID, q.Currency, q.TotalCents, q.SubtotalCents, q.DiscountCents, q.ShippingCents,
		q.ShippingDiscountCents, q.TaxCents, q.PricesIncludeTax, q.ShippingMethod, promotionID(q),
		couponCode(q), no.ClientIP, no.PaymentMethod, no.ShippingAddress, no.IdempotencyKey, hash,
		lineNos, products, sellers, names, quantities, prices, currencies, discounts, taxes, rates,
		sh.sellers, sh.codes, sh.names, sh.grams, sh.shipping, sh.discounts, sh.taxes, sh.rates,
		OrderPending).Scan(&orderID)
	return orderID, err
}

// shipmentColumns are an order's shipments as one array per column, for unnest.
type shipmentColumns struct {
	sellers, codes, names                    []string
	grams, shipping, discounts, taxes, rates []int64
}

func shipmentColumnsOf(shipments []pricing.Shipment) shipmentColumns {
	var c shipmentColumns
	for _, s := range shipments {
		c.sellers, c.codes, c.names = append(c.sellers, s.SellerID), append(c.codes, s.MethodCode), append(c.names, s.MethodName)
		c.grams, c.shipping = append(c.grams, s.WeightGrams), append(c.shipping, s.ShippingCents)
		c.discounts, c.taxes, c.rates = append(c.discounts, s.DiscountCents), append(c.taxes, s.TaxCents), append(c.rates, s.TaxRatePPM)
	}
	return c
}
