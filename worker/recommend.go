package worker

import (
	"time"

	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
	"shopflow/config"
	"shopflow/workflows"
)

// registerRecommendations registers the "also bought" activities.
func registerRecommendations(w sdkworker.Registry, d Deps) {
	a := &activities.Recommendations{Store: d.Store, Prefix: d.Config.RedisPrefix}
	// Left nil (not a nil pointer in an interface) when missing, so the activity can say so.
	if d.Redis != nil {
		a.Redis = d.Redis
	}
	w.RegisterActivity(a)
}

// RecommendationsInput is the input of the Schedule's runs, and of runs started by hand.
func RecommendationsInput(cfg config.Config) workflows.RecommendationsInput {
	return workflows.RecommendationsInput{WindowDays: cfg.RecsWindowDays(), MinSupport: cfg.RecsMinSupport, N: cfg.RecsN,
		Interval: cfg.RecsInterval}
}

// recommendSchedules is the "also bought" Schedule: every SHOPFLOW_RECS_INTERVAL, five minutes
// into it (after the hour's top sellers), catching up one interval after an outage.
func recommendSchedules(cfg config.Config) []schedule {
	return []schedule{{
		id:       workflows.RecommendationsScheduleID,
		every:    cfg.RecsInterval,
		offset:   min(5*time.Minute, cfg.RecsInterval/2),
		catchup:  cfg.RecsInterval,
		queue:    config.QueueBatch,
		workflow: workflows.RecommendationsWorkflowName,
		args:     []any{RecommendationsInput(cfg)},
		// Up to 5 attempts of each activity; a first build over years of sales may take a while.
		timeout: 3 * time.Hour,
	}}
}
