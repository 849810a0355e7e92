package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"shopflow/notify"
	"shopflow/ranking"
	"shopflow/store"
)

// Digest holds the dependencies of the seller digest.
type Digest struct {
	Store   *store.Store
	Service *notify.Service
	// Ranks reads the published ranking; nil (no Redis) says "no ranking" in every digest.
	Ranks RankReader
	// Location is the report time zone whose days the digest covers; nil is UTC.
	Location *time.Location
	// BaseURL prefixes the report link (SHOPFLOW_PUBLIC_URL); empty leaves it relative.
	BaseURL string
	Logger  *slog.Logger
}

// RankReader is what the digest needs of ranking.Reader.
type RankReader interface {
	Seller(ctx context.Context, sellerID string) ([]byte, ranking.Meta, error)
}

// SeriesDays is how many days the digest's chart covers, ending at the report day.
const SeriesDays = 14

// ListDigestSellersInput pages through sellers in id order.
type ListDigestSellersInput struct {
	After string // the last seller id already listed; empty starts at the first
	Limit int
}

// ListDigestSellersResult is one page of seller ids, ascending.
type ListDigestSellersResult struct {
	SellerIDs []string
}

// ListDigestSellers returns up to Limit seller ids after After, in id order.
func (a *Digest) ListDigestSellers(ctx context.Context, in ListDigestSellersInput) (ListDigestSellersResult, error) {
	var res ListDigestSellersResult
	after := in.After
	if after == "" {
		after = "00000000-0000-0000-0000-000000000000"
	}
	err := a.Store.Pool.QueryRow(ctx, `SELECT coalesce(array_agg(id::text ORDER BY id), '{}') FROM
		(SELECT id FROM sellers WHERE id > $1::uuid ORDER BY id LIMIT $2) s`, after, in.Limit).Scan(&res.SellerIDs)
	if err != nil {
		return res, fmt.Errorf("list sellers after %q: %w", in.After, err)
	}
	return res, nil
}

// SendDigestsInput is a slice of sellers to tell about one day.
type SendDigestsInput struct {
	Period    string // the report day, YYYY-MM-DD
	SellerIDs []string
}

// SendDigestsResult counts the sends of one slice, per (seller, channel).
type SendDigestsResult struct {
	Sellers    int
	Sent       int
	Duplicates int // already sent (a rerun or a retried activity)
	Failed     int // refused for good by the provider
	Skipped    int // channel not configured here, or no address for it
	Retry      int // transient failures that outlasted the service's retries
}

// ErrDigestRetry is the type of the error SendDigests returns when some sends failed
// transiently: Temporal retries the activity, and the idempotency keys resume only those.
const ErrDigestRetry = "DigestRetry"

// SendDigests sends each seller its digest for Period on each channel it chose. Every send
// goes through notify.Service under key <seller user id>:seller_digest:<Period>:<channel>,
// stored before the provider is called, so a retried activity, a resumed workflow or a whole
// rerun for the same day sends nothing twice. It heartbeats after each seller and, on a retry,
// resumes after the last seller the previous attempt reported.
func (a *Digest) SendDigests(ctx context.Context, in SendDigestsInput) (SendDigestsResult, error) {
	var res SendDigestsResult
	loc := a.Location
	if loc == nil {
		loc = time.UTC
	}
	day, err := time.ParseInLocation(time.DateOnly, in.Period, loc)
	if err != nil {
		return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("digest period %q is not a date", in.Period), "InvalidPeriod", err)
	}
	start := 0
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		var done int
		if activity.GetHeartbeatDetails(ctx, &done, &res) == nil && done <= len(in.SellerIDs) {
			start = done
		}
	}
	sellers, err := a.loadSellers(ctx, in.SellerIDs[start:])
	if err != nil {
		return res, err
	}
	sales, err := a.loadSales(ctx, in.SellerIDs[start:], day, loc)
	if err != nil {
		return res, err
	}
	for i, sid := range in.SellerIDs[start:] {
		s, ok := sellers[sid]
		if !ok {
			continue // deleted since it was listed
		}
		d := a.compose(ctx, s, in.Period, day, sales[sid])
		if err := a.send(ctx, s, in.Period, d, &res); err != nil {
			return res, err
		}
		res.Sellers++
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, start+i+1, res)
		}
	}
	if res.Retry > 0 {
		return res, temporal.NewApplicationError(fmt.Sprintf("%d digest sends failed transiently", res.Retry), ErrDigestRetry)
	}
	return res, nil
}

// digestSeller is a seller and how to reach it.
type digestSeller struct {
	ID, StoreName, UserID, AccountEmail string
	Prefs                               store.NotificationPreferences
}

func (a *Digest) loadSellers(ctx context.Context, ids []string) (map[string]digestSeller, error) {
	rows, err := a.Store.Pool.Query(ctx, `SELECT s.id::text, s.store_name, u.id::text, u.email,
		       p.channels, coalesce(p.email, ''), coalesce(p.phone, '')
		FROM sellers s JOIN users u ON u.id = s.user_id
		LEFT JOIN notification_preferences p ON p.seller_id = s.id
		WHERE s.id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("load %d digest sellers: %w", len(ids), err)
	}
	defer rows.Close()
	out := make(map[string]digestSeller, len(ids))
	for rows.Next() {
		var s digestSeller
		var channels []string
		if err := rows.Scan(&s.ID, &s.StoreName, &s.UserID, &s.AccountEmail, &channels, &s.Prefs.Email, &s.Prefs.Phone); err != nil {
			return nil, fmt.Errorf("load digest sellers: %w", err)
		}
		s.Prefs.Channels = channels
		if channels == nil {
			s.Prefs = store.DefaultNotificationPreferences()
		}
		out[s.ID] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load digest sellers: %w", err)
	}
	return out, nil
}

// daySales is one seller's sales of one day in one currency.
type daySales struct {
	Day      string
	Currency string
	Units    int64
	Revenue  int64
}

// loadSales reads the SeriesDays days ending at day from the hourly rollup, for every seller of
// the slice in one query, grouped by day of the report time zone.
func (a *Digest) loadSales(ctx context.Context, ids []string, day time.Time, loc *time.Location) (map[string][]daySales, error) {
	from := day.AddDate(0, 0, -(SeriesDays - 1))
	to := day.AddDate(0, 0, 1)
	rows, err := a.Store.Pool.Query(ctx, `SELECT seller_id::text, to_char(hour AT TIME ZONE $4, 'YYYY-MM-DD'), currency,
		       sum(units)::bigint, sum(revenue_cents)::bigint
		FROM sales_hourly WHERE seller_id = ANY($1::uuid[]) AND hour >= $2 AND hour < $3
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, ids, from, to, loc.String())
	if err != nil {
		return nil, fmt.Errorf("digest sales %s..%s: %w", from.Format(time.DateOnly), day.Format(time.DateOnly), err)
	}
	defer rows.Close()
	out := map[string][]daySales{}
	for rows.Next() {
		var sid string
		var s daySales
		if err := rows.Scan(&sid, &s.Day, &s.Currency, &s.Units, &s.Revenue); err != nil {
			return nil, fmt.Errorf("digest sales: %w", err)
		}
		out[sid] = append(out[sid], s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("digest sales: %w", err)
	}
	return out, nil
}

// compose gathers one seller's digest: the day and the day before, the series, the rank.
func (a *Digest) compose(ctx context.Context, s digestSeller, period string, day time.Time, sales []daySales) notify.SellerDigest {
	prev := day.AddDate(0, 0, -1).Format(time.DateOnly)
	d := notify.SellerDigest{StoreName: s.StoreName, Date: period,
		ReportURL: a.BaseURL + "/api/v1/sellers/me/reports/" + period}
	byDay := map[string]int64{}
	for _, x := range sales {
		byDay[x.Day] += x.Units
		switch x.Day {
		case period:
			d.Units += x.Units
			d.Revenue = append(d.Revenue, notify.Money{Currency: x.Currency, Cents: x.Revenue})
		case prev:
			d.PrevUnits += x.Units
			d.PrevRev = append(d.PrevRev, notify.Money{Currency: x.Currency, Cents: x.Revenue})
		}
	}
	for i := SeriesDays - 1; i >= 0; i-- {
		date := day.AddDate(0, 0, -i).Format(time.DateOnly)
		d.Series = append(d.Series, notify.DayUnits{Date: date, Units: byDay[date]})
	}
	d.Rank = a.rank(ctx, s.ID)
	return d
}

// rank reads the seller's standing; any failure to read it is said in the message rather than
// holding the digest back.
func (a *Digest) rank(ctx context.Context, sellerID string) *notify.DigestRank {
	if a.Ranks == nil {
		return nil
	}
	raw, meta, err := a.Ranks.Seller(ctx, sellerID)
	if err != nil {
		if !errors.Is(err, ranking.ErrNotPublished) {
			a.logger().WarnContext(ctx, "digest: ranking unreadable", "seller_id", sellerID, "err", err)
		}
		return nil
	}
	r := &notify.DigestRank{Of: meta.RankedSellers, AsOf: meta.GeneratedAt.UTC().Format(time.RFC3339)}
	if raw == nil {
		return r
	}
	var doc ranking.SellerDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		a.logger().WarnContext(ctx, "digest: ranking document unreadable", "seller_id", sellerID, "err", err)
		return nil
	}
	r.Overall, r.Of, r.AsOf = doc.Overall.Rank, doc.Overall.Of, doc.GeneratedAt.UTC().Format(time.RFC3339)
	names := a.categoryNames(ctx, doc.Categories)
	for _, c := range doc.Categories {
		name := names[c.CategoryID]
		if name == "" {
			name = fmt.Sprintf("Category %d", c.CategoryID)
		}
		r.Categories = append(r.Categories, notify.CategoryRank{Name: name, Rank: c.Rank, Of: c.Of})
	}
	return r
}

func (a *Digest) categoryNames(ctx context.Context, cs []ranking.CategoryStanding) map[int64]string {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.CategoryID
	}
	names := map[int64]string{}
	rows, err := a.Store.Pool.Query(ctx, `SELECT id, name FROM categories WHERE id = ANY($1)`, ids)
	if err != nil {
		return names
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if rows.Scan(&id, &name) == nil {
			names[id] = name
		}
	}
	return names
}

func (a *Digest) send(ctx context.Context, s digestSeller, period string, d notify.SellerDigest, res *SendDigestsResult) error {
	subject, text, html, short := notify.ComposeDigest(d)
	email := s.Prefs.Email
	if email == "" {
		email = s.AccountEmail
	}
	for _, ch := range []string{store.ChannelInApp, store.ChannelEmail, store.ChannelSMS} { // fixed order
		if !slices.Contains(s.Prefs.Channels, ch) {
			continue
		}
		req := notify.Request{Key: notify.Key(s.UserID, notify.DigestKind, period, ch), RecipientID: s.UserID,
			Channel: ch, Kind: notify.DigestKind, Subject: subject, Text: text}
		switch ch {
		case store.ChannelEmail:
			req.To, req.HTML = email, html
		case store.ChannelSMS:
			req.To, req.Text = s.Prefs.Phone, short
		}
		if !a.Service.Configured(ch) || (ch == store.ChannelSMS && req.To == "") {
			res.Skipped++
			continue
		}
		out, err := a.Service.Send(ctx, req)
		switch {
		case errors.Is(err, notify.ErrRetryLater):
			res.Retry++
		case err != nil:
			return fmt.Errorf("digest of seller %s on %s: %w", s.ID, ch, err)
		case out.Duplicate:
			res.Duplicates++
		case out.Status == store.NotificationSent:
			res.Sent++
		case out.Status == store.NotificationFailed:
			res.Failed++
		}
	}
	return nil
}

func (a *Digest) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}
