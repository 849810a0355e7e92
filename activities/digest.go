package activities

import (
	"context"
	"fmt"
	"log/slog"
	"time"

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
	ids, err := a.Store.SellerIDsAfter(ctx, in.After, in.Limit)
	if err != nil {
		return ListDigestSellersResult{}, err
	}
	return ListDigestSellersResult{SellerIDs: ids}, nil
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
		return a.dailyComposer(ctx, ids, in.Period, day, loc)
	})
}

// dailyComposer loads the daily digests' data for the sellers of a slice in two queries (the
// sellers, then SeriesDays of their sales) and composes each seller's message from it.
func (a *Digest) dailyComposer(ctx context.Context, ids []string, period string, day time.Time, loc *time.Location) (composer, error) {
	sellers, err := a.Store.DigestSellers(ctx, ids)
	if err != nil {
		return nil, err
	}
	sales, err := a.Store.SellerDailySales(ctx, ids, day.AddDate(0, 0, -(SeriesDays-1)), day.AddDate(0, 0, 1), loc)
	if err != nil {
		return nil, err
	}
	return func(sid string) (store.DigestSeller, composedDigest, bool) {
		s, ok := sellers[sid]
		if !ok {
			return s, composedDigest{}, false // deleted since it was listed
		}
		d := a.compose(ctx, s, period, day, sales[sid])
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
}
