package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"

	"shopflow/notify"
	"shopflow/ranking"
)

// The kinds of seller digest (workflows.SellerDigestInput.Kind).
const (
	// DigestDaily tells every seller its day: sales, change, rank, chart, report link. The
	// empty kind means this one (inputs recorded before kinds existed).
	DigestDaily = "daily"
	// DigestRankChange tells the sellers the hourly ranking alerted that their rank moved.
	DigestRankChange = "rank_change"
)

// parseRankPeriod reads a rank-change digest's period, the ranking window's end in RFC 3339.
func parseRankPeriod(period string) (time.Time, error) {
	at, err := time.Parse(time.RFC3339, period)
	if err != nil {
		return time.Time{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("rank-change digest period %q is not an RFC 3339 time", period), "InvalidPeriod", err)
	}
	return at.UTC(), nil
}

// listRankChangeSellers pages through the sellers alerted for the period, in id order.
func (a *Digest) listRankChangeSellers(ctx context.Context, in ListDigestSellersInput) (ListDigestSellersResult, error) {
	at, err := parseRankPeriod(in.Period)
	if err != nil {
		return ListDigestSellersResult{}, err
	}
	cs, err := ranking.RankChanges(ctx, a.Store.Pool, at, in.After, in.Limit)
	if err != nil {
		return ListDigestSellersResult{}, err
	}
	res := ListDigestSellersResult{SellerIDs: make([]string, len(cs))}
	for i, c := range cs {
		res.SellerIDs[i] = c.SellerID
	}
	return res, nil
}

// sendRankChanges tells each seller of the slice that its rank moved, with the alert recorded
// for the period (old and new rank), under key <seller user id>:seller_rank_change:<period>:
// <channel>, so reruns send nothing twice. Like SendDigests it heartbeats per seller and
// resumes after the last one reported.
func (a *Digest) sendRankChanges(ctx context.Context, in SendDigestsInput) (SendDigestsResult, error) {
	at, err := parseRankPeriod(in.Period)
	if err != nil {
		return SendDigestsResult{}, err
	}
	return a.sendEach(ctx, in, notify.RankChangeKind, func(ids []string) (composer, error) {
		sellers, err := a.loadSellers(ctx, ids)
		if err != nil {
			return nil, err
		}
		changes, err := a.loadRankChanges(ctx, at, ids)
		if err != nil {
			return nil, err
		}
		return func(sid string) (digestSeller, composedDigest, bool) {
			s, ok := sellers[sid]
			c, alerted := changes[sid]
			if !ok || !alerted {
				return s, composedDigest{}, false // seller deleted since, or never alerted
			}
			subject, text, html, short := notify.ComposeRankChange(notify.RankChange{StoreName: s.StoreName,
				OldRank: c.OldRank, NewRank: c.NewRank, Of: c.Of, PeriodEnd: at, Window: a.RankWindow,
				RankURL: a.BaseURL + "/api/v1/sellers/me/rank"})
			return s, composedDigest{Subject: subject, Text: text, HTML: html, Short: short}, true
		}, nil
	})
}

// loadRankChanges reads the period's alerts of the given sellers, by seller id.
func (a *Digest) loadRankChanges(ctx context.Context, at time.Time, ids []string) (map[string]ranking.RankChange, error) {
	rows, err := a.Store.Pool.Query(ctx, `SELECT seller_id::text, old_rank, new_rank, of_sellers
		FROM seller_rank_changes WHERE period_end = $1 AND seller_id = ANY($2::uuid[])`, at, ids)
	if err != nil {
		return nil, fmt.Errorf("rank changes of %d sellers: %w", len(ids), err)
	}
	changes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ranking.RankChange, error) {
		var c ranking.RankChange
		err := row.Scan(&c.SellerID, &c.OldRank, &c.NewRank, &c.Of)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("rank changes: %w", err)
	}
	out := make(map[string]ranking.RankChange, len(changes))
	for _, c := range changes {
		out[c.SellerID] = c
	}
	return out, nil
}
