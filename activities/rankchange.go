package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"shopflow/notify"
	"shopflow/ranking"
	"shopflow/store"
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
		sellers, err := a.Store.DigestSellers(ctx, ids)
		if err != nil {
			return nil, err
		}
		changes, err := ranking.RankChangesOf(ctx, a.Store.Pool, at, ids)
		if err != nil {
			return nil, err
		}
		return func(sid string) (store.DigestSeller, composedDigest, bool) {
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
