package activities

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"shopflow/recommend"
	"shopflow/store"
)

// Recommendations holds what the "also bought" job needs: Postgres, where the co-occurrence
// counts are kept, and Redis, where the lists are published for the API.
type Recommendations struct {
	Store  *store.Store
	Redis  redis.UniversalClient
	Prefix string // SHOPFLOW_REDIS_PREFIX
}

// CountRecsInput names the window to bring the counts up to.
type CountRecsInput struct {
	AsOf       time.Time // the window ends on this time's UTC date
	WindowDays int
}

// CountRecsResult says what was counted.
type CountRecsResult struct {
	WindowStart time.Time
	Lines       int64
	Orders      int64
	Expired     int64
	Dirty       int64
}

// CountRecommendationSales takes orders that left the window out of the counts and counts the
// sales recorded since the last run. It heartbeats its progress after every step; a retry
// resumes where the last committed step left off (counted sales are consumed with their step).
func (a *Recommendations) CountRecommendationSales(ctx context.Context, in CountRecsInput) (CountRecsResult, error) {
	if a.Store == nil {
		return CountRecsResult{}, temporal.NewNonRetryableApplicationError("the recommendations worker has no Postgres", "Misconfigured", nil)
	}
	beat := keepBeating(ctx, recsBeat, func(d any) { activity.RecordHeartbeat(ctx, d) })
	r, err := recommend.UpdateCounts(ctx, a.Store, in.AsOf, in.WindowDays, func(p recommend.CountResult) { beat(p) })
	beat(nil)
	res := CountRecsResult{WindowStart: r.WindowStart, Lines: r.Lines, Orders: r.Orders, Expired: r.Expired, Dirty: r.Dirty}
	if err != nil {
		return res, err
	}
	activity.GetLogger(ctx).Info("recommendation counts updated", "lines", r.Lines, "orders", r.Orders, "expired", r.Expired)
	return res, nil
}

// PublishRecsInput says which lists to publish and how.
type PublishRecsInput struct {
	WindowDays  int
	MinSupport  int
	N           int
	GeneratedAt time.Time
	// All republishes every list, not only those whose counts changed.
	All bool
}

// PublishRecsResult says what was published.
type PublishRecsResult struct {
	Written  int
	Removed  int
	Products int
}

// PublishRecommendations recomputes the lists of the products whose counts changed (all with
// In.All) and writes them to Redis, heartbeating after every chunk; a retry continues with the
// products still marked.
func (a *Recommendations) PublishRecommendations(ctx context.Context, in PublishRecsInput) (PublishRecsResult, error) {
	if a.Store == nil || a.Redis == nil {
		return PublishRecsResult{}, temporal.NewNonRetryableApplicationError("the recommendations worker has no Redis or Postgres", "Misconfigured", nil)
	}
	p, err := recommend.PublishLists(ctx, a.Store, a.Redis, a.Prefix, recommend.PublishOptions{
		WindowDays: in.WindowDays, MinSupport: in.MinSupport, N: in.N, GeneratedAt: in.GeneratedAt, All: in.All,
	}, func(p recommend.Publication) { activity.RecordHeartbeat(ctx, p) })
	return PublishRecsResult{Written: p.Written, Removed: p.Removed, Products: p.Products}, err
}

// recsBeat is how often a step that runs long (one statement of a rebuild over millions of
// sales) repeats its last heartbeat, well inside the workflow's one-minute heartbeat timeout.
const recsBeat = 15 * time.Second

// keepBeating records (heartbeats) every details it is given and repeats the last one every
// interval until it is given nil, so a single long statement does not look like a dead worker.
func keepBeating(ctx context.Context, interval time.Duration, record func(details any)) func(details any) {
	var mu sync.Mutex
	var last any
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				mu.Lock()
				d := last
				mu.Unlock()
				record(d)
			}
		}
	}()
	var once sync.Once
	return func(details any) {
		if details == nil {
			once.Do(func() { close(done) })
			return
		}
		mu.Lock()
		last = details
		mu.Unlock()
		record(details)
	}
}
