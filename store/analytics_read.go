package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// capSum sums a bigint rollup column, saturating as the rollups do rather than failing.
func capSum(col string) string {
	return "least(coalesce(sum(" + col + "), 0), " + maxCents + ")::bigint"
}

// sellerFilter narrows a rollup query to q's seller, given as parameter $n; nothing for the
// platform.
func sellerFilter(q AnalyticsQuery, col string, n int) string {
	if q.SellerID == "" {
		return ""
	}
	return fmt.Sprintf(" AND %s = $%d::uuid", col, n)
}

// sellerArgs is args, plus the seller id when q is a seller's.
func sellerArgs(q AnalyticsQuery, args ...any) []any {
	if q.SellerID == "" {
		return args
	}
	return append(args, q.SellerID)
}

// periodSeries lists every period of q's range with its sales, rank and rating.
func periodSeries(ctx context.Context, tx pgx.Tx, q AnalyticsQuery) ([]AnalyticsPeriod, error) {
	periods := []AnalyticsPeriod{}
	index := map[time.Time]int{}
	for t := q.From.UTC(); t.Before(q.To); t = q.Granularity.Next(t) {
		index[t] = len(periods)
		periods = append(periods, AnalyticsPeriod{Start: t, End: q.Granularity.Next(t), Sales: []SalesFigures{}})
	}
	at := func(t time.Time) *AnalyticsPeriod {
		if i, ok := index[t.UTC()]; ok {
			return &periods[i]
		}
		return nil
	}
	if err := periodSales(ctx, tx, q, at); err != nil {
		return nil, err
	}
	if q.SellerID != "" {
		if err := periodRanks(ctx, tx, q, at); err != nil {
			return nil, err
		}
	}
	if err := periodRatings(ctx, tx, q, at); err != nil {
		return nil, err
	}
	return periods, nil
}

// periodSales reads each period's sales per currency from seller_sales_hourly. The platform's
// orders are the sum of platform_orders, which counts an order of several sellers once.
func periodSales(ctx context.Context, tx pgx.Tx, q AnalyticsQuery, at func(time.Time) *AnalyticsPeriod) error {
	orders := "orders"
	if q.SellerID == "" {
		orders = "platform_orders"
	}
	rows, err := tx.Query(ctx, `
		SELECT date_trunc($1::text, hour, 'UTC'), currency::text, `+capSum("units")+`, `+capSum(orders)+`,
		       `+capSum("gross_cents")+`, `+capSum("discount_cents")+`, `+capSum("refund_cents")+`
		FROM seller_sales_hourly WHERE hour >= $2 AND hour < $3`+sellerFilter(q, "seller_id", 4)+`
		GROUP BY 1, 2 ORDER BY 1, 2`, sellerArgs(q, string(q.Granularity), q.From, q.To)...)
	if err != nil {
		return fmt.Errorf("period sales: %w", err)
	}
	var start time.Time
	var f SalesFigures
	_, err = pgx.ForEachRow(rows, []any{&start, &f.Currency, &f.Units, &f.Orders, &f.GrossCents, &f.DiscountCents, &f.RefundsCents}, func() error {
		if p := at(start); p != nil {
			f.NetCents = f.GrossCents - f.DiscountCents - f.RefundsCents
			p.Sales = append(p.Sales, f)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("period sales: %w", err)
	}
	return nil
}

// periodRanks reads the seller's rank in the last hourly ranking of each period (a ranking
// belongs to the period holding its window's end), and its best rank of the period.
func periodRanks(ctx context.Context, tx pgx.Tx, q AnalyticsQuery, at func(time.Time) *AnalyticsPeriod) error {
	rows, err := tx.Query(ctx, `
		SELECT DISTINCT ON (1) date_trunc($1::text, period_end, 'UTC'), rank, of_sellers, period_end,
		       min(rank) OVER (PARTITION BY date_trunc($1::text, period_end, 'UTC'))
		FROM seller_rank_history WHERE seller_id = $4::uuid AND period_end >= $2 AND period_end < $3
		ORDER BY 1, period_end DESC`, string(q.Granularity), q.From, q.To, q.SellerID)
	if err != nil {
		return fmt.Errorf("rank history: %w", err)
	}
	var start time.Time
	var r PeriodRank
	_, err = pgx.ForEachRow(rows, []any{&start, &r.Rank, &r.Of, &r.At, &r.Best}, func() error {
		if p := at(start); p != nil {
			rank := r
			rank.At = rank.At.UTC()
			p.Rank = &rank
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rank history: %w", err)
	}
	return nil
}

// periodRatings reads the reviews of the seller's products (or every product) published in
// each period that are still published.
func periodRatings(ctx context.Context, tx pgx.Tx, q AnalyticsQuery, at func(time.Time) *AnalyticsPeriod) error {
	rows, err := tx.Query(ctx, `
		SELECT date_trunc($1::text, r.published_at, 'UTC'), avg(r.rating)::float8, count(*)
		FROM reviews r JOIN products p ON p.id = r.product_id
		WHERE r.status = 'published' AND r.published_at >= $2 AND r.published_at < $3`+sellerFilter(q, "p.seller_id", 4)+`
		GROUP BY 1`, sellerArgs(q, string(q.Granularity), q.From, q.To)...)
	if err != nil {
		return fmt.Errorf("rating trend: %w", err)
	}
	var start time.Time
	var r PeriodRating
	_, err = pgx.ForEachRow(rows, []any{&start, &r.Average, &r.Count}, func() error {
		if p := at(start); p != nil {
			rating := r
			p.Rating = &rating
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rating trend: %w", err)
	}
	return nil
}

// topProducts lists the range's best products (by units, then net revenue, then id), one
// entry per product and currency, at most q.TopN.
func topProducts(ctx context.Context, tx pgx.Tx, q AnalyticsQuery) ([]ProductSales, error) {
	rows, err := tx.Query(ctx, `
		WITH s AS (
			SELECT product_id, currency, `+capSum("units")+` AS units, `+capSum("orders")+` AS orders,
			       `+capSum("revenue_cents")+` AS gross, `+capSum("discount_cents")+` AS discount
			FROM sales_hourly WHERE hour >= $1 AND hour < $2`+sellerFilter(q, "seller_id", 4)+`
			GROUP BY 1, 2),
		r AS (
			SELECT product_id, currency, `+capSum("refund_cents")+` AS refunds
			FROM refunds_hourly WHERE hour >= $1 AND hour < $2`+sellerFilter(q, "seller_id", 4)+`
			GROUP BY 1, 2)
		SELECT x.product_id, coalesce(p.name, ''), x.currency::text, coalesce(x.units, 0), coalesce(x.orders, 0),
		       coalesce(x.gross, 0), coalesce(x.discount, 0), coalesce(x.refunds, 0)
		FROM (SELECT * FROM s FULL JOIN r USING (product_id, currency)) x
		LEFT JOIN products p ON p.id = x.product_id
		ORDER BY coalesce(x.units, 0) DESC,
		         coalesce(x.gross, 0)::numeric - coalesce(x.discount, 0) - coalesce(x.refunds, 0) DESC,
		         x.product_id, x.currency
		LIMIT $3`, sellerArgs(q, q.From, q.To, q.TopN)...)
	if err != nil {
		return nil, fmt.Errorf("top products: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ProductSales, error) {
		var p ProductSales
		err := row.Scan(&p.ProductID, &p.Name, &p.Currency, &p.Units, &p.Orders, &p.GrossCents, &p.DiscountCents, &p.RefundsCents)
		p.NetCents = p.GrossCents - p.DiscountCents - p.RefundsCents
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("top products: %w", err)
	}
	return out, nil
}

// topCategories lists, in each currency, the q.TopN categories with the most net revenue over
// the range (categories as at the sale, not their ancestors), by currency then rank.
func topCategories(ctx context.Context, tx pgx.Tx, q AnalyticsQuery) ([]CategorySales, error) {
	rows, err := tx.Query(ctx, `
		WITH s AS (
			SELECT category_id, currency, `+capSum("units")+` AS units, `+capSum("revenue_cents")+` AS gross,
			       `+capSum("discount_cents")+` AS discount
			FROM sales_hourly WHERE hour >= $1 AND hour < $2 GROUP BY 1, 2),
		r AS (
			SELECT category_id, currency, `+capSum("refund_cents")+` AS refunds
			FROM refunds_hourly WHERE hour >= $1 AND hour < $2 GROUP BY 1, 2),
		ranked AS (
			SELECT x.*, coalesce(x.gross, 0)::numeric - coalesce(x.discount, 0) - coalesce(x.refunds, 0) AS net,
			       row_number() OVER (PARTITION BY x.currency
			                          ORDER BY coalesce(x.gross, 0)::numeric - coalesce(x.discount, 0) - coalesce(x.refunds, 0) DESC,
			                                   x.category_id) AS n
			FROM (SELECT * FROM s FULL JOIN r USING (category_id, currency)) x)
		SELECT k.category_id, coalesce(c.name, ''), k.currency::text, coalesce(k.units, 0), coalesce(k.gross, 0),
		       coalesce(k.discount, 0), coalesce(k.refunds, 0)
		FROM ranked k LEFT JOIN categories c ON c.id = k.category_id
		WHERE k.n <= $3 ORDER BY k.currency, k.n`, q.From, q.To, q.TopN)
	if err != nil {
		return nil, fmt.Errorf("top categories: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (CategorySales, error) {
		var c CategorySales
		err := row.Scan(&c.CategoryID, &c.Name, &c.Currency, &c.Units, &c.GrossCents, &c.DiscountCents, &c.RefundsCents)
		c.NetCents = c.GrossCents - c.DiscountCents - c.RefundsCents
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("top categories: %w", err)
	}
	return out, nil
}

// cartConversion counts the carts started in the range and those that led to an order: the
// same customer created an order that got paid (placed, or later shipped, delivered or
// refunded) at or after the cart started and before their next cart started.
func cartConversion(ctx context.Context, tx pgx.Tx, q AnalyticsQuery) (*CartConversion, error) {
	var c CartConversion
	err := tx.QueryRow(ctx, `
		SELECT count(*), count(*) FILTER (WHERE EXISTS (
			SELECT 1 FROM orders o
			WHERE o.customer_id = cs.user_id AND o.created_at >= cs.started_at
			  AND (nx.started_at IS NULL OR o.created_at < nx.started_at)
			  AND o.status IN ('placed', 'shipped', 'delivered', 'partially_refunded', 'refunded')))
		FROM cart_starts cs
		LEFT JOIN LATERAL (
			SELECT n.started_at FROM cart_starts n
			WHERE n.user_id = cs.user_id AND (n.started_at, n.id) > (cs.started_at, cs.id)
			ORDER BY n.started_at, n.id LIMIT 1) nx ON true
		WHERE cs.started_at >= $1 AND cs.started_at < $2`, q.From, q.To).Scan(&c.CartsStarted, &c.CartsConverted)
	if err != nil {
		return nil, fmt.Errorf("cart conversion: %w", err)
	}
	if c.CartsStarted > 0 {
		c.Rate = float64(c.CartsConverted) / float64(c.CartsStarted)
	}
	return &c, nil
}
