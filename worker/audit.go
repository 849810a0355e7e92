package worker

import sdkworker "go.temporal.io/sdk/worker"

// registerAudit registers the activities of the after-sale workflows. (Scaffold.)
func registerAudit(w sdkworker.Registry, d Deps) {}
