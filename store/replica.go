package store

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Replicas are Postgres streaming replicas of the primary that serve reads which may be a
// little stale: the catalog, search, order lists and analytics. A background checker measures
// each replica's lag (replica_lag.go); reads go round robin to the replicas within the bound
// and to the primary when none is.
type Replicas struct {
	primary  *pgxpool.Pool
	nodes    []*replica
	maxLag   atomic.Int64 // time.Duration
	interval time.Duration
	next     atomic.Uint64
	log      *slog.Logger
	// primaryFailing is whether the last check could not read the primary (checker only).
	primaryFailing bool
	stop           context.CancelFunc
	done           chan struct{}
	close          sync.Once
}

// ReplicaOptions say how replicas are judged and traced.
type ReplicaOptions struct {
	// MaxLag is how far behind the primary a replica may be and still serve reads.
	MaxLag time.Duration
	// CheckInterval is how often the lag is measured.
	CheckInterval time.Duration
	// Tracer, when not nil, sees every query on the replicas.
	Tracer pgx.QueryTracer
	// Log hears when a replica stops or starts serving reads; nil discards.
	Log *slog.Logger
}

// ReplicaStatus is what the checker last knew of one replica.
type ReplicaStatus struct {
	// Name is the replica's host:port (never its password).
	Name    string
	Healthy bool
	// Lag is how long the replica has been missing changes the primary had, zero when caught up.
	Lag time.Duration
	// Problem says why a replica that cannot be measured is not used.
	Problem string
}

// OpenReplicas creates a pool per replica URL, measures their lag once and starts the checker.
// A replica that is down is not an error: reads skip it until it answers. Close stops the
// checker and closes the replicas' pools (not primary's).
func OpenReplicas(ctx context.Context, primary *pgxpool.Pool, urls []string, o ReplicaOptions) (*Replicas, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	r := &Replicas{primary: primary, interval: o.CheckInterval, log: o.Log, done: make(chan struct{})}
	r.maxLag.Store(int64(o.MaxLag))
	for i, u := range urls {
		cfg, err := poolConfig(u)
		if err != nil {
			r.closePools()
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
		cfg.ConnConfig.Tracer = o.Tracer
		// pgxpool connects lazily, so a replica that is down does not stop Shopflow starting.
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			r.closePools()
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
		name := fmt.Sprintf("%s:%d", cfg.ConnConfig.Host, cfg.ConnConfig.Port)
		r.nodes = append(r.nodes, &replica{name: name, pool: pool})
	}
	r.check(ctx)
	loop, stop := context.WithCancel(context.Background())
	r.stop = stop
	go r.run(loop)
	return r, nil
}

// Close stops the checker and closes the replicas' pools. It may be called more than once.
func (r *Replicas) Close() {
	if r == nil {
		return
	}
	r.close.Do(func() {
		r.stop()
		<-r.done
		r.closePools()
	})
}

func (r *Replicas) closePools() {
	for _, n := range r.nodes {
		n.pool.Close()
	}
}

// Status reports every replica as the last check left it.
func (r *Replicas) Status() []ReplicaStatus {
	now, bound := time.Now(), r.bound()
	out := make([]ReplicaStatus, 0, len(r.nodes))
	for _, n := range r.nodes {
		out = append(out, n.status(now, bound))
	}
	return out
}

func (r *Replicas) bound() time.Duration { return time.Duration(r.maxLag.Load()) }

// setMaxLag changes the lag bound; reads use the new bound at once.
func (r *Replicas) setMaxLag(d time.Duration) { r.maxLag.Store(int64(d)) }

// pick returns the next replica within the lag bound, round robin, or nil when there is none.
func (r *Replicas) pick() *pgxpool.Pool {
	if r == nil || len(r.nodes) == 0 {
		return nil
	}
	now, bound := time.Now(), r.bound()
	start := r.next.Add(1)
	for i := range uint64(len(r.nodes)) {
		n := r.nodes[(start+i)%uint64(len(r.nodes))]
		if n.status(now, bound).Healthy {
			return n.pool
		}
	}
	return nil
}

// UseReplicas sends the reads that may be stale to r; nil sends them to the primary. Call it
// before the Store serves requests.
func (s *Store) UseReplicas(r *Replicas) { s.replicas = r }

// Replicas are the replicas the Store reads from, nil when it has none.
func (s *Store) Replicas() *Replicas { return s.replicas }

// primaryOnly marks a context whose reads must see the caller's own writes.
type primaryOnly struct{}

// ReadPrimary returns ctx marked so that the Store's reads under it go to the primary even
// where they would go to a replica: for a handler that reads what it has just written.
func ReadPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryOnly{}, true)
}

// Reader is the pool for reads that may be up to the lag bound stale: a healthy replica, or
// the primary when there is none or ctx asks for the primary (ReadPrimary).
func (s *Store) Reader(ctx context.Context) *pgxpool.Pool {
	if ctx.Value(primaryOnly{}) != nil {
		return s.Pool
	}
	if p := s.replicas.pick(); p != nil {
		return p
	}
	return s.Pool
}
