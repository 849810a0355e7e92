package config

// ReplicaConfig sends reads that may be a little stale to Postgres streaming replicas.
type ReplicaConfig struct {
	// DatabaseReplicaURLs are the replicas' postgres:// URLs; empty reads everything from the primary.
	DatabaseReplicaURLs []string `env:"SHOPFLOW_DATABASE_REPLICA_URLS" envSeparator:","`
}

// validateReplicas checks the replica settings.
func (c Config) validateReplicas(p *problems) {}
