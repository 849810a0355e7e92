package app

import (
	"context"
	"fmt"

	"shopflow/store"
)

// openReplicas connects to the read replicas (SHOPFLOW_DATABASE_REPLICA_URLS), if any, and
// hands them to the store; with none, every read goes to the primary. Their queries are traced
// like the primary's. A replica that is down does not stop the App opening: reads skip it.
func (a *App) openReplicas(ctx context.Context) error {
	cfg := a.Config
	if len(cfg.DatabaseReplicaURLs) == 0 {
		return nil
	}
	r, err := store.OpenReplicas(ctx, a.Pool, cfg.DatabaseReplicaURLs, store.ReplicaOptions{
		MaxLag:        cfg.ReplicaMaxLag,
		CheckInterval: cfg.ReplicaCheckInterval,
		Tracer:        a.queryTracer(),
		Log:           a.Log.With("component", "replicas"),
	})
	if err != nil {
		return fmt.Errorf("SHOPFLOW_DATABASE_REPLICA_URLS: %w", err)
	}
	a.Store.UseReplicas(r)
	for _, s := range r.Status() {
		a.Log.Info("read replica", "replica", s.Name, "serving", s.Healthy, "lag", s.Lag, "problem", s.Problem)
	}
	return nil
}

// closeReplicas stops the replicas' lag checker and closes their pools. Close calls it before
// closing the primary, which the checker reads.
func (a *App) closeReplicas() {
	if a.Store != nil {
		a.Store.Replicas().Close()
	}
}
