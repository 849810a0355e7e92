package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// How lag is measured. `now() - pg_last_xact_replay_timestamp()` on the replica is the usual
// recipe, but it is wrong both ways: while the primary is idle it grows without bound although
// the replica has everything, and right after a write that follows an idle hour it says an
// hour. Instead each check reads the primary's WAL position (pg_current_wal_lsn) and then each
// replica's replayed position (pg_last_wal_replay_lsn). The checker remembers, per replica,
// the primary positions it has seen and when, until the replica has replayed past them; the
// replica's lag is the age of the oldest position it has not replayed yet, zero when it has
// replayed everything the primary had at the last check. That needs no clock agreement between
// hosts and stays zero on an idle primary. It is measured once per check, so a replica may
// serve data up to the bound plus one interval old.

// replica is one replica's pool and what the checker knows of it.
type replica struct {
	name  string
	pool  *pgxpool.Pool
	state atomic.Pointer[replicaState]
	// pending are primary positions the replica had not replayed at the last check, oldest
	// first. Only the checker goroutine touches it.
	pending []walSample
	// serving is whether the checker last saw it serving reads, to log changes only.
	serving bool
}

// replicaState is published by the checker for reads: up says the replica answered as a
// standby; behindSince is when the primary had the oldest change it still lacks (zero: none).
type replicaState struct {
	up          bool
	behindSince time.Time
	problem     string
}

// walSample is a primary WAL position and when the checker saw it.
type walSample struct {
	lsn uint64
	at  time.Time
}

// maxPending caps a replica's remembered positions (a day at a one-second interval). When it is
// full the second oldest is dropped, never the oldest, so the lag is never understated.
const maxPending = 86_400

// checkTimeout is how long a check waits for answers, or the interval when that is longer: a
// replica slower than that is judged down rather than holding up the next measurement.
const checkTimeout = 2 * time.Second

func (n *replica) status(now time.Time, bound time.Duration) ReplicaStatus {
	st := n.state.Load()
	if st == nil {
		return ReplicaStatus{Name: n.name, Problem: "not checked yet"}
	}
	s := ReplicaStatus{Name: n.name, Problem: st.problem}
	if !st.behindSince.IsZero() {
		s.Lag = now.Sub(st.behindSince)
	}
	s.Healthy = st.up && s.Lag <= bound
	return s
}

func (r *Replicas) run(ctx context.Context) {
	defer close(r.done)
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.check(ctx)
		}
	}
}

// check reads the primary's position first, then every replica's, so a replica at or past
// the primary's position had everything the primary had at that moment.
func (r *Replicas) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, max(r.interval, checkTimeout))
	defer cancel()
	sample := walSample{at: time.Now()}
	lsn, err := queryLSN(ctx, r.primary, `SELECT pg_current_wal_lsn()::text`)
	if err != nil && !r.primaryFailing {
		// Without the primary's position lag is judged against the positions already seen.
		r.log.Warn("replica check cannot read the primary's WAL position", "err", err)
	}
	r.primaryFailing = err != nil
	sample.lsn = lsn
	var wg sync.WaitGroup
	for _, n := range r.nodes {
		wg.Go(func() { n.check(ctx, sample, err == nil) })
	}
	wg.Wait()
	now, bound := time.Now(), r.bound()
	for _, n := range r.nodes {
		s := n.status(now, bound)
		if s.Healthy != n.serving {
			n.serving = s.Healthy
			r.log.Info("replica serving reads changed", "replica", n.name, "serving", s.Healthy, "lag", s.Lag, "problem", s.Problem)
		}
	}
}

// check measures one replica against the primary's sample (when havePrimary).
func (n *replica) check(ctx context.Context, sample walSample, havePrimary bool) {
	if havePrimary && (len(n.pending) == 0 || sample.lsn > n.pending[len(n.pending)-1].lsn) {
		if len(n.pending) == maxPending {
			n.pending = append(n.pending[:1], n.pending[2:]...)
		}
		n.pending = append(n.pending, sample)
	}
	var standby bool
	var replayed *string
	err := n.pool.QueryRow(ctx, `SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text`).Scan(&standby, &replayed)
	switch {
	case err != nil:
		n.publish(false, fmt.Sprintf("check failed: %v", err))
		return
	case !standby || replayed == nil:
		// A promoted replica, or a primary listed by mistake, has no replay position and
		// would answer with data that is not the primary's.
		n.publish(false, "not a streaming standby")
		return
	}
	pos, err := parseLSN(*replayed)
	if err != nil {
		n.publish(false, err.Error())
		return
	}
	i := 0
	for i < len(n.pending) && n.pending[i].lsn <= pos {
		i++
	}
	n.pending = append(n.pending[:0], n.pending[i:]...)
	n.publish(true, "")
}

func (n *replica) publish(up bool, problem string) {
	st := &replicaState{up: up, problem: problem}
	if len(n.pending) > 0 {
		st.behindSince = n.pending[0].at
	}
	n.state.Store(st)
}

func queryLSN(ctx context.Context, pool *pgxpool.Pool, sql string) (uint64, error) {
	var text string
	if err := pool.QueryRow(ctx, sql).Scan(&text); err != nil {
		return 0, err
	}
	return parseLSN(text)
}

// parseLSN reads a pg_lsn's text form, two hexadecimal halves: "16/B374D848".
func parseLSN(text string) (uint64, error) {
	var hi, lo uint32
	if _, err := fmt.Sscanf(text, "%X/%X", &hi, &lo); err != nil {
		return 0, fmt.Errorf("parse WAL position %q: %w", text, err)
	}
	return uint64(hi)<<32 | uint64(lo), nil
}
