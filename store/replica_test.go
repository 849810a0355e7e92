package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/pgtest"
)

// replicaFixture is a primary with a streaming replica of its own, a Store reading through
// the replica, and a connection to the replica to pause and resume its replay.
type replicaFixture struct {
	t        *testing.T
	cluster  *pgtest.Replicated
	st       *Store
	replicas *Replicas
	replica  *pgx.Conn
	catalog  catalogFixture
	customer string
}

func newReplicaFixture(t *testing.T) *replicaFixture {
	t.Helper()
	ctx := context.Background()
	cluster := pgtest.StartReplicated(t)
	pool, err := Open(ctx, cluster.PrimaryURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := New(pool)
	r, err := OpenReplicas(ctx, pool, []string{cluster.ReplicaURL()}, ReplicaOptions{MaxLag: time.Minute, CheckInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	st.UseReplicas(r)
	conn, err := pgx.Connect(ctx, cluster.ReplicaURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	customer, err := st.CreateUser(ctx, NewUser{Email: "shopper@example.com", PasswordHash: "x", Role: RoleCustomer})
	if err != nil {
		t.Fatal(err)
	}
	return &replicaFixture{t: t, cluster: cluster, st: st, replicas: r, replica: conn,
		catalog: newCatalogFixture(t, st), customer: customer.ID}
}

// eventually polls check until it returns nil, failing the test after ten seconds.
func (f *replicaFixture) eventually(what string, check func() error) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pauseReplay stops the replica applying the primary's changes (it still receives them).
func (f *replicaFixture) pauseReplay() {
	f.t.Helper()
	ctx := context.Background()
	if _, err := f.replica.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		f.t.Fatal(err)
	}
	f.eventually("replay pauses", func() error {
		var state string
		if err := f.replica.QueryRow(ctx, `SELECT pg_get_wal_replay_pause_state()`).Scan(&state); err != nil || state != "paused" {
			return fmt.Errorf("state %q: %v", state, err)
		}
		return nil
	})
}

func (f *replicaFixture) resumeReplay() {
	f.t.Helper()
	if _, err := f.replica.Exec(context.Background(), `SELECT pg_wal_replay_resume()`); err != nil {
		f.t.Fatal(err)
	}
}

// lagging waits until the checker has seen the primary ahead of the replica.
func (f *replicaFixture) lagging() {
	f.t.Helper()
	f.eventually("checker sees the replica behind", func() error {
		if s := f.replicas.Status()[0]; s.Lag <= 0 || !s.Healthy {
			return fmt.Errorf("status %+v", s)
		}
		return nil
	})
}

// caughtUp waits until the replica serves reads again with nothing left to replay.
func (f *replicaFixture) caughtUp() {
	f.t.Helper()
	f.eventually("replica catches up", func() error {
		if s := f.replicas.Status()[0]; s.Lag != 0 || !s.Healthy {
			return fmt.Errorf("status %+v", s)
		}
		return nil
	})
}

func (f *replicaFixture) readsReplica() bool {
	return f.st.Reader(context.Background()) != f.st.Pool
}

func productName(ctx context.Context, st *Store, id int64) (string, error) {
	p, err := st.ProductByID(ctx, id)
	return p.Name, err
}
