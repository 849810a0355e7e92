package store

import (
	"context"
	"fmt"
	"time"
)

// DigestSeller is a seller and how to reach it: what a seller digest needs to address one.
type DigestSeller struct {
	ID, StoreName, UserID, AccountEmail string
	// Prefs are the seller's notification preferences, or the defaults when it never set any.
	Prefs NotificationPreferences
}

// DaySales is one seller's sales of one day in one currency.
type DaySales struct {
	Day      string // YYYY-MM-DD in the zone the sales were grouped by
	Currency string
	Units    int64
	Revenue  int64 // minor units
}

// noSeller sorts before every seller id, so paging "after" it starts at the first.
const noSeller = "00000000-0000-0000-0000-000000000000"

// SellerIDsAfter returns up to limit seller ids greater than after ("" starts at the first), in
// id order: the pages a digest walks through every seller with.
func (s *Store) SellerIDsAfter(ctx context.Context, after string, limit int) ([]string, error) {
	from := after
	if from == "" {
		from = noSeller
	}
	var ids []string
	err := s.Pool.QueryRow(ctx, `SELECT coalesce(array_agg(id::text ORDER BY id), '{}') FROM
		(SELECT id FROM sellers WHERE id > $1::uuid ORDER BY id LIMIT $2) s`, from, limit).Scan(&ids)
	if err != nil {
		return nil, fmt.Errorf("list sellers after %q: %w", after, err)
	}
	return ids, nil
}

// DigestSellers reads the given sellers with their account and preferences, by seller id.
// Sellers that do not exist (deleted since they were listed) are absent from the map.
func (s *Store) DigestSellers(ctx context.Context, ids []string) (map[string]DigestSeller, error) {
	rows, err := s.Pool.Query(ctx, `SELECT s.id::text, s.store_name, u.id::text, u.email,
		       p.channels, coalesce(p.email, ''), coalesce(p.phone, '')
		FROM sellers s JOIN users u ON u.id = s.user_id
		LEFT JOIN notification_preferences p ON p.seller_id = s.id
		WHERE s.id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("load %d digest sellers: %w", len(ids), err)
	}
	defer rows.Close()
	out := make(map[string]DigestSeller, len(ids))
	for rows.Next() {
		var d DigestSeller
		var channels []string
		if err := rows.Scan(&d.ID, &d.StoreName, &d.UserID, &d.AccountEmail, &channels, &d.Prefs.Email, &d.Prefs.Phone); err != nil {
			return nil, fmt.Errorf("load digest sellers: %w", err)
		}
		d.Prefs.Channels = channels
		if channels == nil { // no preferences row
			d.Prefs = DefaultNotificationPreferences()
		}
		out[d.ID] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load digest sellers: %w", err)
	}
	return out, nil
}

// SellerDailySales reads the sales of the given sellers from the hourly rollup, hours from
// from (included) to to (excluded), summed per seller, day of loc and currency, in one query.
// Each seller's days come in date then currency order; sellers without sales are absent.
func (s *Store) SellerDailySales(ctx context.Context, ids []string, from, to time.Time, loc *time.Location) (map[string][]DaySales, error) {
	rows, err := s.Pool.Query(ctx, `SELECT seller_id::text, to_char(hour AT TIME ZONE $4, 'YYYY-MM-DD'), currency,
		       sum(units)::bigint, sum(revenue_cents)::bigint
		FROM sales_hourly WHERE seller_id = ANY($1::uuid[]) AND hour >= $2 AND hour < $3
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, ids, from, to, loc.String())
	if err != nil {
		return nil, fmt.Errorf("daily sales %s..%s: %w", from.Format(time.DateOnly), to.Format(time.DateOnly), err)
	}
	defer rows.Close()
	out := map[string][]DaySales{}
	for rows.Next() {
		var sid string
		var d DaySales
		if err := rows.Scan(&sid, &d.Day, &d.Currency, &d.Units, &d.Revenue); err != nil {
			return nil, fmt.Errorf("daily sales: %w", err)
		}
		out[sid] = append(out[sid], d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily sales: %w", err)
	}
	return out, nil
}

// CategoryNames returns the names of the given categories, by id; unknown ids are absent.
func (s *Store) CategoryNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, name FROM categories WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("names of %d categories: %w", len(ids), err)
	}
	defer rows.Close()
	names := make(map[int64]string, len(ids))
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("names of categories: %w", err)
		}
		names[id] = name
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("names of categories: %w", err)
	}
	return names, nil
}
