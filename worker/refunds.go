package worker

import (
	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
)

// registerRefunds registers the activities of refunds (issued for returns and cancellations)
// and of cancellations of placed lines.
func registerRefunds(w sdkworker.Registry, d Deps) {
	w.RegisterActivity(&activities.Refunds{Store: d.Store, Payments: d.Payments})
	w.RegisterActivity(&activities.Cancellations{Store: d.Store})
}
