package worker

import (
	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
	"shopflow/ranking"
)

// registerDigest registers the seller digest activities. Digests send through the same
// notification service as the outbox, so channels, rate limits (shared in Redis) and retries
// are the same.
func registerDigest(w sdkworker.Registry, d Deps) {
	a := &activities.Digest{Store: d.Store, Service: d.Notifier, BaseURL: d.Config.PublicURL,
		RankWindow: d.Config.TopSellersWindow, Location: d.ReportZone}
	if d.Notifier != nil {
		a.Logger = d.Notifier.Logger
	}
	if d.Redis != nil {
		a.Ranks = ranking.Reader{Redis: d.Redis, Prefix: d.Config.RedisPrefix}
	}
	w.RegisterActivity(a)
}
