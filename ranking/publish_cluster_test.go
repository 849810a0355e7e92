package ranking_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"shopflow/ranking"
	"shopflow/redistest"
)

// Publishing and reading rankings on a three-master Redis Cluster: one cluster for the
// package's cluster cases, each case under its own prefix.
func TestRankingOnRedisCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	t.Run("a generation's keys share one slot", func(t *testing.T) { generationInOneSlot(t, c) })
	t.Run("top sellers and seller ranks read back", func(t *testing.T) { publishAndRead(t, c) })
	t.Run("readers never see half a ranking", func(t *testing.T) { neverHalfARanking(t, c) })
}

func generationInOneSlot(t *testing.T, c *redistest.Cluster) {
	ctx, prefix := context.Background(), redistest.Prefix()
	to := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	pub, err := ranking.Publish(ctx, c.Client, prefix, syntheticRanking(to, 1, 50))
	if err != nil {
		t.Fatal(err)
	}
	set := prefix + "topsellers:{" + pub.Generation + "}:keys"
	members, err := c.Client.SMembers(ctx, set).Result()
	if err != nil || len(members) != 50+1+1 { // categories, the seller, meta
		t.Fatalf("generation key set: %d members, %v", len(members), err)
	}
	want := c.Slot(t, set)
	for _, k := range members {
		if got := c.Slot(t, k); got != want {
			t.Fatalf("%s is in slot %d, the generation's key set in %d: one MGET cannot read them", k, got, want)
		}
	}
}

func publishAndRead(t *testing.T, c *redistest.Cluster) {
	ctx, prefix := context.Background(), redistest.Prefix()
	to := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	if _, err := ranking.Publish(ctx, c.Client, prefix, syntheticRanking(to, 3, 20)); err != nil {
		t.Fatal(err)
	}
	r := ranking.Reader{Redis: c.Client, Prefix: prefix}
	ids := []int64{1, 2, 7, 20, 999}
	_, docs, err := r.Categories(ctx, ids)
	if err != nil {
		t.Fatalf("Categories (MGET across one generation): %v", err)
	}
	for i, raw := range docs[:4] {
		var d ranking.CategoryDocument
		if err := json.Unmarshal(raw, &d); err != nil || d.CategoryID != ids[i] {
			t.Fatalf("category %d: %s, %v", ids[i], raw, err)
		}
	}
	if docs[4] != nil {
		t.Fatalf("category 999 was never published, got %s", docs[4])
	}
	raw, meta, err := r.Seller(ctx, "00000000-0000-0000-0000-00000000000a")
	if err != nil || raw == nil || meta.Categories != 20 {
		t.Fatalf("Seller: %s, %+v, %v", raw, meta, err)
	}
	var s ranking.SellerDocument
	if err := json.Unmarshal(raw, &s); err != nil || s.Overall.Rank == nil || *s.Overall.Rank != 1 || s.Overall.Units != 3 {
		t.Fatalf("seller document %s: %v", raw, err)
	}
	raw, _, err = r.Seller(ctx, "00000000-0000-0000-0000-0000000000ff")
	if err != nil || raw != nil {
		t.Fatalf("a seller with no sales: %s, %v", raw, err)
	}
}

// Publications replace each other while a reader reads many categories at once: every read
// holds documents of one publication, none missing.
func neverHalfARanking(t *testing.T, c *redistest.Cluster) {
	ctx, prefix := context.Background(), redistest.Prefix()
	to := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	const categories, publications = 600, 12
	ids := make([]int64, categories)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	if _, err := ranking.Publish(ctx, c.Client, prefix, syntheticRanking(to, 1, categories)); err != nil {
		t.Fatal(err)
	}
	r := ranking.Reader{Redis: c.Client, Prefix: prefix}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var publishErr error
	wg.Go(func() {
		defer close(done)
		for i := 2; i <= publications; i++ {
			if _, err := ranking.Publish(ctx, c.Client, prefix, syntheticRanking(to, i, categories)); err != nil {
				publishErr = err
				return
			}
		}
	})
	seen := map[int64]bool{}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		seen[readOnePublication(t, r, ids, to)] = true
	}
	wg.Wait()
	if publishErr != nil {
		t.Fatal(publishErr)
	}
	if len(seen) < 2 || !seen[publications] {
		t.Fatalf("the reader saw publications %v: it never overlapped the publisher, or missed the last", seen)
	}
}

// readOnePublication reads every category once and returns the publication they all come from.
func readOnePublication(t *testing.T, r ranking.Reader, ids []int64, to time.Time) int64 {
	t.Helper()
	gen, docs, err := r.Categories(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	var first int64
	for i, raw := range docs {
		if raw == nil {
			t.Fatalf("generation %s: category %d has no document", gen, ids[i])
		}
		var d ranking.CategoryDocument
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		n := int64(d.GeneratedAt.Sub(to) / time.Second)
		if i == 0 {
			first = n
		}
		if n != first {
			t.Fatalf("generation %s mixes publications %d and %d", gen, first, n)
		}
	}
	return first
}
