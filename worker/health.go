package worker

import "context"

// serveHealth serves the worker's /metrics and /healthz on SHOPFLOW_WORKER_HTTP_ADDR until ctx
// is done.
func serveHealth(ctx context.Context, d Deps) error { return nil }
