package ranking_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"shopflow/ranking"
)

// ranksAt is a ranking of period end h (hours after window.To) with the given overall ranks.
func (s *shop) ranksAt(h int, ranks map[string]int) ranking.Ranking {
	r := ranking.Ranking{Window: ranking.WindowEnding(window.To.Add(time.Duration(h)*time.Hour), 24*time.Hour), RankedSellers: len(ranks)}
	for name, rank := range ranks {
		r.Sellers = append(r.Sellers, ranking.SellerRanking{SellerID: s.seller[name], Overall: ranking.Standing{Rank: rank, Of: len(ranks)}})
	}
	return r
}

func (s *shop) changes(t *testing.T, h int) map[string][2]int {
	t.Helper()
	cs, err := ranking.RankChanges(context.Background(), s.pool, window.To.Add(time.Duration(h)*time.Hour), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]string{}
	for name, id := range s.seller {
		byID[id] = name
	}
	out := map[string][2]int{}
	for _, c := range cs {
		out[byID[c.SellerID]] = [2]int{c.OldRank, c.NewRank}
	}
	return out
}

func equalChanges(a, b map[string][2]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A seller is alerted when its overall rank moves by the threshold from the rank it last heard
// of (so a slow drift adds up), once per period however often the period is run, and a late run
// of an older hour neither alerts nor moves a baseline.
func TestRecordRankChanges(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	ctx := context.Background()
	const threshold = 2
	steps := []struct {
		name  string
		h     int
		ranks map[string]int
		want  map[string][2]int // this period's alerts afterwards, old and new rank
	}{
		{"first ranking sets baselines", 0, map[string]int{"a": 1, "b": 2, "c": 3, "d": 4}, map[string][2]int{}},
		{"a falls three places", 1, map[string]int{"a": 4, "b": 1, "c": 2, "d": 3}, map[string][2]int{"a": {1, 4}}},
		{"c and d climb two from their baselines", 2, map[string]int{"a": 4, "b": 3, "c": 1, "d": 2}, map[string][2]int{"c": {3, 1}, "d": {4, 2}}},
		{"retry of the same hour", 2, map[string]int{"a": 1, "b": 4, "c": 4, "d": 4}, map[string][2]int{"c": {3, 1}, "d": {4, 2}}},
		{"late run of an older hour", -5, map[string]int{"a": 4, "b": 4, "c": 4, "d": 4}, map[string][2]int{}},
		{"b drifts one more place: two from its baseline", 3, map[string]int{"a": 3, "b": 4, "c": 1, "d": 2}, map[string][2]int{"b": {2, 4}}},
	}
	for _, st := range steps {
		n, err := ranking.RecordRankChanges(ctx, s.pool, s.ranksAt(st.h, st.ranks), threshold)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := s.changes(t, st.h)
		if n != len(st.want) || !equalChanges(got, st.want) {
			t.Fatalf("%s: %d alerts %v, want %v", st.name, n, got, st.want)
		}
	}
	// a's baseline is 4 since hour 1, c's 1 since hour 2: the stale run at hour -5 moved none.
	var aRank, cRank int
	if err := s.pool.QueryRow(ctx, `SELECT (SELECT rank FROM seller_rank_marks WHERE seller_id = $1),
		(SELECT rank FROM seller_rank_marks WHERE seller_id = $2)`, s.seller["a"], s.seller["c"]).Scan(&aRank, &cRank); err != nil {
		t.Fatal(err)
	}
	if aRank != 4 || cRank != 1 {
		t.Fatalf("baselines a=%d c=%d, want 4 and 1", aRank, cRank)
	}
	if _, err := ranking.RecordRankChanges(ctx, s.pool, s.ranksAt(9, nil), 0); err == nil {
		t.Fatal("a zero threshold was accepted")
	}
}

// Runs of two hours at once (a manual trigger beside the Schedule) are serialized: each alert
// is recorded once and the baselines end at the newer hour's ranks.
func TestRecordRankChangesConcurrentRuns(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	ctx := context.Background()
	if _, err := ranking.RecordRankChanges(ctx, s.pool, s.ranksAt(0, map[string]int{"a": 1, "b": 2, "c": 3, "d": 4}), 3); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			_, err := ranking.RecordRankChanges(ctx, s.pool, s.ranksAt(1+i%2, map[string]int{"a": 4, "b": 3, "c": 2, "d": 1}), 3)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	all := map[string][2]int{}
	for _, h := range []int{1, 2} {
		for k, v := range s.changes(t, h) {
			if _, dup := all[k]; dup {
				t.Fatalf("seller %s alerted in two periods", k)
			}
			all[k] = v
		}
	}
	if want := map[string][2]int{"a": {1, 4}, "d": {4, 1}}; !equalChanges(all, want) {
		t.Fatalf("alerts %v, want %v", all, want)
	}
}
