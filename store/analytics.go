package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Seller and platform analytics (docs/ANALYTICS.md), read from the hourly rollups that counting
// sales and refunds maintains (migration 00018), never from the sales facts: a request costs
// hours × sellers or products in its range, not lines sold. Periods are in UTC; weeks start
// on Monday. Money is per currency and never added across currencies.

// Granularity is the length of an analytics period.
type Granularity string

// The periods analytics can be asked for.
const (
	GranularityHour Granularity = "hour"
	GranularityDay  Granularity = "day"
	GranularityWeek Granularity = "week"
)

// Valid says whether g is one of the granularities.
func (g Granularity) Valid() bool {
	return g == GranularityHour || g == GranularityDay || g == GranularityWeek
}

// Floor is the start of the period holding t, in UTC.
func (g Granularity) Floor(t time.Time) time.Time {
	t = t.UTC()
	switch g {
	case GranularityHour:
		return t.Truncate(time.Hour)
	case GranularityWeek:
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)) // back to Monday
	default:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
}

// Next is the start of the period after the one starting at start.
func (g Granularity) Next(start time.Time) time.Time {
	switch g {
	case GranularityHour:
		return start.Add(time.Hour)
	case GranularityWeek:
		return start.AddDate(0, 0, 7)
	default:
		return start.AddDate(0, 0, 1)
	}
}

// Periods is how many periods [from, to) holds; from and to are period starts.
func (g Granularity) Periods(from, to time.Time) int {
	switch g {
	case GranularityHour:
		return int(to.Sub(from) / time.Hour)
	case GranularityWeek:
		return int(to.Sub(from) / (7 * 24 * time.Hour))
	default:
		return int(to.Sub(from).Round(time.Hour) / (24 * time.Hour))
	}
}

// AnalyticsQuery asks for one seller's analytics (SellerID set) or the platform's (empty).
// From and To are period starts of Granularity, From before To; TopN bounds the product and
// category lists.
type AnalyticsQuery struct {
	SellerID    string
	From, To    time.Time
	Granularity Granularity
	TopN        int
}

// Analytics is the answer: every period of the range, oldest first, and the range's best
// products; the platform's also has its best categories and carts-to-orders conversion.
type Analytics struct {
	From        time.Time         `json:"from"`
	To          time.Time         `json:"to"`
	Granularity Granularity       `json:"granularity"`
	Periods     []AnalyticsPeriod `json:"periods"`
	Products    []ProductSales    `json:"products"`
	Categories  []CategorySales   `json:"categories,omitempty"`
	Conversion  *CartConversion   `json:"conversion,omitempty"`
}

// AnalyticsPeriod is one period's sales per currency, rank and rating trend.
type AnalyticsPeriod struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Sales holds one entry per currency sold or refunded in, by currency.
	Sales []SalesFigures `json:"sales"`
	// Rank is the seller's overall rank in the last hourly ranking of the period; nil for the
	// platform and for a period with no ranking of the seller.
	Rank *PeriodRank `json:"rank,omitempty"`
	// Rating is the reviews published in the period; nil when none was.
	Rating *PeriodRating `json:"rating"`
}

// SalesFigures are sales in one currency: net is gross less discounts less refunds.
type SalesFigures struct {
	Currency      string `json:"currency"`
	Units         int64  `json:"units"`
	Orders        int64  `json:"orders"`
	GrossCents    int64  `json:"gross_revenue_cents"`
	DiscountCents int64  `json:"discount_cents"`
	RefundsCents  int64  `json:"refunds_cents"`
	NetCents      int64  `json:"net_revenue_cents"`
}

// PeriodRank is a seller's standing in the hourly rankings of a period.
type PeriodRank struct {
	Rank int       `json:"rank"` // in the last ranking of the period
	Of   int       `json:"of"`
	At   time.Time `json:"at"`   // that ranking's period end
	Best int       `json:"best"` // the best rank of the period's rankings
}

// PeriodRating is the reviews published in a period: their average rating and how many.
type PeriodRating struct {
	Average float64 `json:"average"`
	Count   int64   `json:"count"`
}

// ProductSales is one product's sales over the range, in one currency.
type ProductSales struct {
	ProductID int64  `json:"product_id"`
	Name      string `json:"name"`
	SalesFigures
}

// CategorySales is one category's sales over the range, in one currency. It has no order
// count: an order with two products of a category would count twice in a sum of products.
type CategorySales struct {
	CategoryID    int64  `json:"category_id"`
	Name          string `json:"name"`
	Currency      string `json:"currency"`
	Units         int64  `json:"units"`
	GrossCents    int64  `json:"gross_revenue_cents"`
	DiscountCents int64  `json:"discount_cents"`
	RefundsCents  int64  `json:"refunds_cents"`
	NetCents      int64  `json:"net_revenue_cents"`
}

// CartConversion is how many carts started in the range and how many of those led to an order.
type CartConversion struct {
	CartsStarted   int64   `json:"carts_started"`
	CartsConverted int64   `json:"carts_converted"`
	Rate           float64 `json:"rate"` // converted / started; 0 when none started
}

// SalesAnalytics reads q's analytics in one repeatable-read snapshot, so periods, products and
// categories agree. It reads a replica when one is within the lag bound (Reader).
func (s *Store) SalesAnalytics(ctx context.Context, q AnalyticsQuery) (Analytics, error) {
	a := Analytics{From: q.From.UTC(), To: q.To.UTC(), Granularity: q.Granularity}
	who := "the platform"
	if q.SellerID != "" {
		who = "seller " + q.SellerID
	}
	err := pgx.BeginTxFunc(ctx, s.Reader(ctx), pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		if a.Periods, err = periodSeries(ctx, tx, q); err != nil {
			return err
		}
		if a.Products, err = topProducts(ctx, tx, q); err != nil {
			return err
		}
		if q.SellerID != "" {
			return nil
		}
		if a.Categories, err = topCategories(ctx, tx, q); err != nil {
			return err
		}
		a.Conversion, err = cartConversion(ctx, tx, q)
		return err
	})
	if err != nil {
		return Analytics{}, fmt.Errorf("analytics of %s from %s to %s by %s: %w", who,
			q.From.Format(time.RFC3339), q.To.Format(time.RFC3339), q.Granularity, err)
	}
	return a, nil
}

// SellerExists says whether a seller store with id exists.
func (s *Store) SellerExists(ctx context.Context, id string) (bool, error) {
	var exists bool
	if err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sellers WHERE id = $1)`, id).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up seller %s: %w", id, err)
	}
	return exists, nil
}
