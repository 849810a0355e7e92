package worker

import sdkworker "go.temporal.io/sdk/worker"

// registerRefunds registers the activities of the after-sale workflows. (Scaffold.)
func registerRefunds(w sdkworker.Registry, d Deps) {}
