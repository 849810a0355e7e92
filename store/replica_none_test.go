package store

import (
	"context"
	"testing"
	"time"

	"shopflow/store/storetest"
)

// TestReplicaNoneOrNotAStandby: without replicas every read goes to the primary, and so it
// does when the one "replica" listed is not a standby (here the primary itself), which would
// otherwise answer with data of its own.
func TestReplicaNoneOrNotAStandby(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.NewDatabase(t)
	st := newTestStore(t, 4)
	if st.Reader(ctx) != st.Pool || st.Replicas() != nil {
		t.Fatal("a store without replicas reads elsewhere than its primary")
	}
	r, err := OpenReplicas(ctx, st.Pool, []string{url}, ReplicaOptions{MaxLag: time.Minute, CheckInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st.UseReplicas(r)
	s := r.Status()[0]
	if s.Healthy || s.Problem != "not a streaming standby" {
		t.Fatalf("a primary listed as replica: %+v", s)
	}
	if st.Reader(ctx) != st.Pool {
		t.Fatal("a primary listed as replica is read")
	}
	if _, err := st.Categories(ctx, nil); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close() // twice is harmless
}

func TestParseLSN(t *testing.T) {
	for text, want := range map[string]uint64{"0/0": 0, "0/16B3748": 0x16B3748, "16/B374D848": 0x16_B374D848} {
		if got, err := parseLSN(text); err != nil || got != want {
			t.Errorf("parseLSN(%q) = %x, %v; want %x", text, got, err, want)
		}
	}
	if _, err := parseLSN("not-an-lsn"); err == nil {
		t.Error("parseLSN accepted garbage")
	}
}
