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
		lines, err := resolveOrderLines(ctx, tx, no, cartID)
		if err != nil {
			return err
		}
		q, err = s.priceOrder(ctx, tx, no, lines)
		return err
	})
	if err != nil {
		return pricing.Quote{}, fmt.Errorf("quote for customer %s: %w", no.CustomerID, classify(err, "order"))
	}
	return q, nil
}

// priceOrder checks that every line can be sold, in one currency, and prices the order.
func (s *Store) priceOrder(ctx context.Context, tx pgx.Tx, no NewOrder, lines []pricedLine) (pricing.Quote, error) {
	for _, l := range lines {
		if l.Status != ProductActive {
			return pricing.Quote{}, errs.E(errs.Conflict, "product %d is not for sale", l.ProductID).
				WithDetails("product_id", l.ProductID).WithDetails("product_status", l.Status)
		}
	}
	currency := lines[0].Currency
	req := pricing.Request{
		CustomerID: no.CustomerID, Currency: currency, ShippingMethod: no.ShippingMethod,
		Coupon: strings.TrimSpace(no.Coupon), Now: time.Now(),
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
	q, err := s.quoter(tx).Quote(ctx, req)
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

// insertOrderLines writes the lines numbered from 1 with their discounts and taxes, in one statement.
func insertOrderLines(ctx context.Context, tx pgx.Tx, orderID string, lines []pricedLine, q pricing.Quote) error {
	n := len(lines)
	lineNos, products, quantities, prices := make([]int32, n), make([]int64, n), make([]int32, n), make([]int64, n)
	sellers, currencies := make([]string, n), make([]string, n)
	discounts, taxes, rates := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, l := range lines {
		lineNos[i], products[i], quantities[i], prices[i] = int32(i+1), l.ProductID, int32(l.Quantity), l.PriceCents
		sellers[i], currencies[i] = l.SellerID, l.Currency
		discounts[i], taxes[i], rates[i] = q.Lines[i].DiscountCents, q.Lines[i].TaxCents, q.Lines[i].TaxRatePPM
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO order_items (order_id, line_no, product_id, seller_id, name, quantity, unit_price_cents, currency,
		                         discount_cents, tax_cents, tax_rate_ppm)
		SELECT $1, l.line_no, l.product_id, l.seller_id, p.name, l.quantity, l.price, l.currency, l.discount, l.tax, l.rate
		FROM unnest($2::int[], $3::bigint[], $4::uuid[], $5::int[], $6::bigint[], $7::text[], $8::bigint[], $9::bigint[], $10::int[])
		     AS l(line_no, product_id, seller_id, quantity, price, currency, discount, tax, rate)
		JOIN products p ON p.id = l.product_id`,
		orderID, lineNos, products, sellers, quantities, prices, currencies, discounts, taxes, rates)
	return err
}

// insertShipments writes the order's shipments, one per seller, when it has shipping.
func insertShipments(ctx context.Context, tx pgx.Tx, orderID string, q pricing.Quote) error {
	if q.ShippingMethod == "" {
		return nil
	}
	for _, sh := range q.Shipments {
		if _, err := tx.Exec(ctx, `
			INSERT INTO order_shipments (order_id, seller_id, method_code, method_name, weight_grams, shipping_cents,
			                             discount_cents, tax_cents, tax_rate_ppm)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			orderID, sh.SellerID, sh.MethodCode, sh.MethodName, sh.WeightGrams, sh.ShippingCents,
			sh.DiscountCents, sh.TaxCents, sh.TaxRatePPM); err != nil {
			return err
		}
	}
	return nil
}
