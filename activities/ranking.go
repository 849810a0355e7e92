package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/temporal"

	"shopflow/ranking"
)

// TopSellers holds what the hourly top-sellers job needs: Postgres, where the ranking is
// computed, and Redis, where it is published for the API.
type TopSellers struct {
	DB     ranking.DB
	Redis  redis.UniversalClient
	Prefix string // SHOPFLOW_REDIS_PREFIX
	N      int    // products kept per category when the input does not say
}

// RankWindow is the period a ranking covers: whole hours from From (included) to To
// (excluded). Its JSON form is that of the ranking.Window it stands for in histories.
type RankWindow struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// PublishInput names the window to rank.
type PublishInput struct {
	Window RankWindow
	// N is how many products each category keeps; zero means the worker's configured number.
	N int
	// RankChangeThreshold, when positive, records an alert for each seller whose overall rank
	// moved by that many places since the rank it last heard of (ranking.RecordRankChanges).
	RankChangeThreshold int
}

// PublishResult says what was published.
type PublishResult struct {
	Generation  string
	Current     bool // false when a newer ranking was already current (this one was a late run)
	GeneratedAt time.Time
	Categories  int
	Sellers     int // sellers ranked overall
	// RankChanges is how many sellers have a rank-change alert for the window's period.
	RankChanges int
}

// PublishTopSellers computes the ranking of the window and publishes it to Redis. The ranking
// itself never travels through Temporal: with a thousand categories of a hundred products it
// would outgrow a payload. Running it again publishes an equal ranking, so retries are safe.
func (a *TopSellers) PublishTopSellers(ctx context.Context, in PublishInput) (PublishResult, error) {
	if a.Redis == nil || a.DB == nil {
		return PublishResult{}, temporal.NewNonRetryableApplicationError("the top-sellers worker has no Redis or Postgres", "Misconfigured", nil)
	}
	n := in.N
	if n <= 0 {
		n = a.N
	}
	if n <= 0 {
		n = 100
	}
	r, err := ranking.Compute(ctx, a.DB, ranking.Window{From: in.Window.From, To: in.Window.To}, n)
	if err != nil {
		return PublishResult{}, err
	}
	pub, err := ranking.Publish(ctx, a.Redis, a.Prefix, r)
	if err != nil {
		return PublishResult{}, fmt.Errorf("publish top sellers: %w", err)
	}
	res := PublishResult{Generation: pub.Generation, Current: pub.Current, GeneratedAt: r.GeneratedAt,
		Categories: len(r.Categories), Sellers: r.RankedSellers}
	// Beside the rank-change baselines: the sellers' analytics read their rank history here.
	if err := ranking.RecordRankHistory(ctx, a.DB, r); err != nil {
		return res, err
	}
	if in.RankChangeThreshold > 0 {
		// After publishing, so an alert never points at a ranking the API does not serve yet.
		if res.RankChanges, err = ranking.RecordRankChanges(ctx, a.DB, r, in.RankChangeThreshold); err != nil {
			return res, err
		}
	}
	return res, nil
}
