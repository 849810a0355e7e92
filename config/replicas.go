package config

import (
	"net/url"
	"time"
)

// ReplicaConfig sends reads that may be a little stale to Postgres streaming replicas.
type ReplicaConfig struct {
	// DatabaseReplicaURLs are the replicas' postgres:// URLs; empty reads everything from the primary.
	DatabaseReplicaURLs []string `env:"SHOPFLOW_DATABASE_REPLICA_URLS" envSeparator:","`
	// ReplicaMaxLag is how far behind the primary a replica may be and still serve reads.
	ReplicaMaxLag time.Duration `env:"SHOPFLOW_REPLICA_MAX_LAG" envDefault:"5s"`
	// ReplicaCheckInterval is how often each replica's lag is measured.
	ReplicaCheckInterval time.Duration `env:"SHOPFLOW_REPLICA_CHECK_INTERVAL" envDefault:"1s"`
}

// Bounds of the replica settings. The lag is measured once per check, so a bound shorter than
// the interval would keep replicas unused while the primary is being written to.
const (
	MinReplicaMaxLag        = 100 * time.Millisecond
	MaxReplicaMaxLag        = 10 * time.Minute
	MinReplicaCheckInterval = 50 * time.Millisecond
	MaxReplicaCheckInterval = time.Minute
)

// validateReplicas checks the replica URLs, never echoing their passwords, and the lag bounds.
func (c Config) validateReplicas(p *problems) {
	seen := map[string]bool{}
	for _, raw := range c.DatabaseReplicaURLs {
		u, err := url.Parse(raw)
		switch {
		case err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "":
			p.add("SHOPFLOW_DATABASE_REPLICA_URLS", "each must be a postgres:// URL with a host, got %q", redact(raw))
		case raw == c.DatabaseURL:
			p.add("SHOPFLOW_DATABASE_REPLICA_URLS", "lists the primary (SHOPFLOW_DATABASE_URL) itself, %q", redact(raw))
		case seen[raw]:
			p.add("SHOPFLOW_DATABASE_REPLICA_URLS", "lists %q twice", redact(raw))
		}
		seen[raw] = true
	}
	if c.ReplicaMaxLag < MinReplicaMaxLag || c.ReplicaMaxLag > MaxReplicaMaxLag {
		p.add("SHOPFLOW_REPLICA_MAX_LAG", "must be between %s and %s, got %s", MinReplicaMaxLag, MaxReplicaMaxLag, c.ReplicaMaxLag)
	}
	if c.ReplicaCheckInterval < MinReplicaCheckInterval || c.ReplicaCheckInterval > MaxReplicaCheckInterval {
		p.add("SHOPFLOW_REPLICA_CHECK_INTERVAL", "must be between %s and %s, got %s",
			MinReplicaCheckInterval, MaxReplicaCheckInterval, c.ReplicaCheckInterval)
	} else if c.ReplicaCheckInterval > c.ReplicaMaxLag && c.ReplicaMaxLag >= MinReplicaMaxLag {
		p.add("SHOPFLOW_REPLICA_CHECK_INTERVAL", "must not be longer than SHOPFLOW_REPLICA_MAX_LAG (%s), got %s",
			c.ReplicaMaxLag, c.ReplicaCheckInterval)
	}
}
