package worker

import (
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/notify"
	"shopflow/ranking"
	"shopflow/workflows"
)

// registerDigest registers the seller digest workflow and activities. The digest sends through
// a notification service built from the same config as the outbox's (notifyConfig), so its
// channels, rate limits (shared in Redis) and retries are the same.
func registerDigest(w sdkworker.Registry, d Deps) {
	w.RegisterWorkflowWithOptions(workflows.SellerDigest, workflow.RegisterOptions{Name: workflows.SellerDigestWorkflowName})
	svc, err := notify.NewServiceFromConfig(notifyConfig(d.Config), d.Store, d.Redis, d.Config.RedisPrefix, d.Logger)
	if err != nil {
		d.Logger.Error("notification channels misconfigured; digests in-app only", "err", err)
		svc = notify.NewService(d.Store, nil, d.Logger, notify.InApp{})
	}
	a := &activities.Digest{Store: d.Store, Service: svc, BaseURL: d.Config.PublicURL, Logger: svc.Logger,
		RankWindow: d.Config.TopSellersWindow}
	if d.Redis != nil {
		a.Ranks = ranking.Reader{Redis: d.Redis, Prefix: d.Config.RedisPrefix}
	}
	// A bad zone leaves UTC; config validation already refuses one at startup.
	if loc, err := ReportConfig(d.Config).Location(); err == nil {
		a.Location = loc
	}
	w.RegisterActivity(a)
}
