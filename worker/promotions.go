package worker

import (
	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
)

// registerPromotions registers the promotion announcement activities. Announcements send
// through the same notification service as every other message, so channels, rate limits
// (shared in Redis with digests and order notifications) and retries are the same.
func registerPromotions(w sdkworker.Registry, d Deps) {
	a := &activities.Promotions{Store: d.Store, Service: d.Notifier, Location: d.ReportZone, Logger: d.Logger}
	w.RegisterActivity(a)
}
