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
	// RankWindow is the hourly ranking's window (SHOPFLOW_TOPSELLERS_WINDOW), which rank-change
	// digests name.
	RankWindow time.Duration
	Logger     *slog.Logger
}

// RankReader is what the digest needs of ranking.Reader.
type RankReader interface {
	Seller(ctx context.Context, sellerID string) ([]byte, ranking.Meta, error)
}

// SeriesDays is how many days the digest's chart covers, ending at the report day.
const SeriesDays = 14

// ListDigestSellersInput pages through sellers in id order: every seller for a daily digest,
// the alerted ones for a rank change.
type ListDigestSellersInput struct {
	Kind   string // DigestDaily (or "") or DigestRankChange
	Period string // the rank-change period; unused for a daily digest
	After  string // the last seller id already listed; empty starts at the first
	Limit  int
}

// ListDigestSellersResult is one page of seller ids, ascending.
type ListDigestSellersResult struct {
	SellerIDs []string
}

// ListDigestSellers returns up to Limit seller ids after After, in id order.
func (a *Digest) ListDigestSellers(ctx context.Context, in ListDigestSellersInput) (ListDigestSellersResult, error) {
	if in.Kind == DigestRankChange {
		return a.listRankChangeSellers(ctx, in)
	}
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
	Kind      string // DigestDaily (or "") or DigestRankChange
	Period    string // the report day, YYYY-MM-DD; for a rank change the ranking period (RFC 3339)
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
	switch in.Kind {
	case "", DigestDaily:
	case DigestRankChange:
		return a.sendRankChanges(ctx, in)
	default:
		return SendDigestsResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown digest kind %q", in.Kind), "InvalidPeriod", nil)
	}
	loc := a.Location
	if loc == nil {
		loc = time.UTC
	}
	day, err := time.ParseInLocation(time.DateOnly, in.Period, loc)
	if err != nil {
		return SendDigestsResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("digest period %q is not a date", in.Period), "InvalidPeriod", err)
	}
	return a.sendEach(ctx, in, notify.DigestKind, func(ids []string) (composer, error) {
		sellers, err := a.loadSellers(ctx, ids)
		if err != nil {
			return nil, err
		}
		sales, err := a.loadSales(ctx, ids, day, loc)
		if err != nil {
			return nil, err
		}
		return func(sid string) (digestSeller, composedDigest, bool) {
			s, ok := sellers[sid]
			if !ok {
				return s, composedDigest{}, false // deleted since it was listed
			}
			d := a.compose(ctx, s, in.Period, day, sales[sid])
			m, err := notify.ComposeDigestMessage(d)
			if err != nil {
				// Only drawing the chart can fail, and only through a bug: the seller still
				// gets its digest, with the chart as an HTML table.
				a.logger().ErrorContext(ctx, "digest: chart not drawn", "seller_id", s.ID, "err", err)
				m = notify.DigestMessage{}
				m.Subject, m.Text, m.HTML, m.Short = notify.ComposeDigest(d)
			}
			return s, composedDigest{Subject: m.Subject, Text: m.Text, HTML: m.HTML, Short: m.Short, Inline: m.Inline}, true
		}, nil
	})
}

// composer writes one seller's message; false skips the seller.
type composer func(sellerID string) (digestSeller, composedDigest, bool)

// sendEach is the loop every kind of digest shares: resume where a previous attempt's
// checkpoint says (heartbeat details), load what the rest of the slice needs in one go
// (prepare), then compose and send seller by seller under kind, heartbeating the checkpoint.
// Sends that failed transiently fail the activity at the end, so Temporal retries it.
func (a *Digest) sendEach(ctx context.Context, in SendDigestsInput, kind string, prepare func(ids []string) (composer, error)) (SendDigestsResult, error) {
	var cp digestCheckpoint
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		var prev digestCheckpoint
		if activity.GetHeartbeatDetails(ctx, &prev) == nil && prev.Done <= len(in.SellerIDs) {
			cp = prev
		}
	}
	res := cp.Totals
	compose, err := prepare(in.SellerIDs[cp.Done:])
	if err != nil {
		return res, err
	}
	// The checkpoint stops before the first seller with a transient failure: the retry starts
	// there, and the sellers after it (sent again) find their keys settled and count as
	// duplicates. Were it to move past that seller, the retry would find nothing left to send
	// and fail again with the same count, for ever.
	failed := false
	for _, sid := range in.SellerIDs[cp.Done:] {
		s, msg, ok := compose(sid)
		if ok {
			retries := res.Retry
			if err := a.send(ctx, s, kind, in.Period, msg, &res); err != nil {
				return res, err
			}
			res.Sellers++
			failed = failed || res.Retry > retries
		}
		if !failed {
			cp.Done, cp.Totals = cp.Done+1, res
		}
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, cp)
		}
	}
	if res.Retry > 0 {
		return res, temporal.NewApplicationError(fmt.Sprintf("%d %s sends failed transiently", res.Retry, kind), ErrDigestRetry)
	}
	return res, nil
}

// digestCheckpoint is how far a SendDigests attempt got: the sellers of the slice fully done
// (every channel settled) and the counts up to there.
type digestCheckpoint struct {
	Done   int
	Totals SendDigestsResult
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

// composedDigest is one digest message, ready for every channel.
type composedDigest struct {
	Subject, Text, HTML string
	Short               string // the SMS
	Inline              []notify.InlineImage
}

// send sends msg to the seller on each channel it chose, under key
// <seller user id>:<kind>:<period>:<channel>, and counts the outcome in res.
func (a *Digest) send(ctx context.Context, s digestSeller, kind, period string, msg composedDigest, res *SendDigestsResult) error {
	email := s.Prefs.Email
	if email == "" {
		email = s.AccountEmail
	}
	for _, ch := range []string{store.ChannelInApp, store.ChannelEmail, store.ChannelSMS} { // fixed order
		if !slices.Contains(s.Prefs.Channels, ch) {
			continue
		}
		req := notify.Request{Key: notify.Key(s.UserID, kind, period, ch), RecipientID: s.UserID,
			Channel: ch, Kind: kind, Subject: msg.Subject, Text: msg.Text}
		switch ch {
		case store.ChannelEmail:
			req.To, req.HTML, req.Inline = email, msg.HTML, msg.Inline
		case store.ChannelSMS:
			req.To, req.Text = s.Prefs.Phone, msg.Short
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
