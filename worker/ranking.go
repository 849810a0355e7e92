package worker

import (
	"time"

	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
	"shopflow/config"
	"shopflow/workflows"
)

// registerRanking registers the top-sellers activities.
func registerRanking(w sdkworker.Registry, d Deps) {
	a := &activities.TopSellers{Prefix: d.Config.RedisPrefix, N: d.Config.TopSellersN}
	// Left nil (not a nil pointer in an interface) when missing, so the activity can say so.
	if d.Store != nil {
		a.DB = d.Store.Pool
	}
	if d.Redis != nil {
		a.Redis = d.Redis
	}
	w.RegisterActivity(a)
}

// rankingSchedules are the ranking Schedules: top sellers every hour at minute 1 (a minute's
// grace for the hour's last sales), each run ranking the configured window up to the start of
// its scheduled hour, with an hour of catch-up so a worker outage still ranks each hour.
func rankingSchedules(cfg config.Config) []schedule {
	return []schedule{{
		id:       workflows.TopSellersScheduleID,
		every:    time.Hour,
		offset:   time.Minute,
		catchup:  time.Hour,
		queue:    config.QueueBatch,
		workflow: workflows.TopSellersWorkflowName,
		args:     []any{workflows.TopSellersInput{Window: cfg.TopSellersWindow, N: cfg.TopSellersN, RankChangeThreshold: cfg.DigestRankChange}},
		// Up to 5 attempts of 5 minutes; the digest it starts is abandoned to run on its own.
		timeout: 45 * time.Minute,
	}}
}
