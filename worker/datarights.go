package worker

import (
	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
)

// registerDataRights registers the activities of customers' data exports and erasures: export
// archives go to report storage, and the link in the notice starts at SHOPFLOW_PUBLIC_URL.
func registerDataRights(w sdkworker.Registry, d Deps) {
	w.RegisterActivity(&activities.DataRights{Store: d.Store, Files: d.ReportFiles, Redis: d.Redis,
		RedisPrefix: d.Config.RedisPrefix, PublicURL: d.Config.PublicURL, Logger: d.Logger})
}
