package worker

import sdkworker "go.temporal.io/sdk/worker"

// registerDataRights registers the activities of the after-sale workflows. (Scaffold.)
func registerDataRights(w sdkworker.Registry, d Deps) {}
