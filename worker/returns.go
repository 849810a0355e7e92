package worker

import (
	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
)

// registerReturns registers the return workflow's own activities (its refunds are the Refunds
// activities, registered by registerRefunds).
func registerReturns(w sdkworker.Registry, d Deps) {
	w.RegisterActivity(&activities.Returns{Store: d.Store})
}
