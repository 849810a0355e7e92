package worker

import sdkworker "go.temporal.io/sdk/worker"

// registerReturns registers the activities of the after-sale workflows. (Scaffold.)
func registerReturns(w sdkworker.Registry, d Deps) {}
