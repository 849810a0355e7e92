package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/app"
	"shopflow/pgtest"
	"shopflow/store"
)

// An App given SHOPFLOW_DATABASE_REPLICA_URLS reads the catalog and searches through the
// replica: with the replica's replay paused, a category created on the primary is missing from
// both until the App is told to read the primary.
func TestAppReadsThroughReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cluster := pgtest.StartReplicated(t)
	cfg := testConfig(t, "SHOPFLOW_DATABASE_URL="+cluster.PrimaryURL(),
		"SHOPFLOW_DATABASE_REPLICA_URLS="+cluster.ReplicaURL(), "SHOPFLOW_REPLICA_CHECK_INTERVAL=50ms")
	a := open(t, cfg, app.Options{NoTemporal: true})
	if r := a.Store.Replicas(); r == nil || len(r.Status()) != 1 {
		t.Fatalf("the store has no replica: %v", r)
	}
	waitUntil(t, "the replica serves reads", func() error {
		if s := a.Store.Replicas().Status()[0]; !s.Healthy || s.Lag != 0 {
			return fmt.Errorf("%+v", s)
		}
		return nil
	})
	replica, err := pgx.Connect(ctx, cluster.ReplicaURL())
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close(ctx)
	if _, err := replica.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "replay pauses", func() error {
		var state string
		if err := replica.QueryRow(ctx, `SELECT pg_get_wal_replay_pause_state()`).Scan(&state); err != nil || state != "paused" {
			return fmt.Errorf("state %q, %v", state, err)
		}
		return nil
	})
	word := "zebra" + randomWord()
	if _, err := a.Store.CreateCategory(ctx, store.NewCategory{Name: word}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the checker sees the replica behind", func() error {
		if s := a.Store.Replicas().Status()[0]; !s.Healthy || s.Lag == 0 {
			return fmt.Errorf("%+v", s)
		}
		return nil
	})
	if got := suggestions(ctx, t, a, word); got != 0 {
		t.Fatalf("suggestions for %q from the paused replica: %d, want 0", word, got)
	}
	if got := suggestions(store.ReadPrimary(ctx), t, a, word); got != 1 {
		t.Fatalf("suggestions for %q from the primary: %d, want 1", word, got)
	}
}

func suggestions(ctx context.Context, t *testing.T, a *app.App, prefix string) int {
	t.Helper()
	s, err := a.Searcher.Suggest(ctx, prefix, 5)
	if err != nil {
		t.Fatal(err)
	}
	return len(s)
}

func waitUntil(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func randomWord() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
