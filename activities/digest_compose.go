package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"shopflow/notify"
	"shopflow/ranking"
	"shopflow/store"
)

// compose gathers one seller's digest: the day and the day before, the series, the rank.
func (a *Digest) compose(ctx context.Context, s store.DigestSeller, period string, day time.Time, sales []store.DaySales) notify.SellerDigest {
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

// categoryNames names the categories of a ranking document, by id; a name it cannot read is
// left out, and the digest says "Category <id>" instead.
func (a *Digest) categoryNames(ctx context.Context, cs []ranking.CategoryStanding) map[int64]string {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.CategoryID
	}
	names, err := a.Store.CategoryNames(ctx, ids)
	if err != nil {
		// The digest names the category by number rather than not going out.
		a.logger().WarnContext(ctx, "digest: category names unreadable", "err", err)
	}
	return names
}
