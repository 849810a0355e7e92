package ranking_test

import (
	"context"
	"testing"
	"time"

	"shopflow/ranking"
)

// RankChangesOf reads one period's alerts of the sellers asked about, and only those: not the
// alerts of other sellers, nor of other periods, and nothing for a seller never alerted.
func TestRankChangesOfTheGivenSellers(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	ctx := context.Background()
	for h, ranks := range []map[string]int{
		{"a": 1, "b": 2, "c": 3, "d": 4},
		{"a": 4, "b": 1, "c": 2, "d": 3}, // a falls three places
		{"a": 4, "b": 3, "c": 1, "d": 2}, // c and d climb two
	} {
		if _, err := ranking.RecordRankChanges(ctx, s.pool, s.ranksAt(h, ranks), 2); err != nil {
			t.Fatal(err)
		}
	}
	period := window.To.Add(2 * time.Hour)
	unknown := "00000000-0000-0000-0000-0000000000ff"
	got, err := ranking.RankChangesOf(ctx, s.pool, period, []string{s.seller["a"], s.seller["b"], s.seller["c"], unknown})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d alerts %+v, want c's only", len(got), got)
	}
	c, ok := got[s.seller["c"]]
	if want := (ranking.RankChange{PeriodEnd: period.UTC(), SellerID: s.seller["c"], OldRank: 3, NewRank: 1, Of: 4}); !ok || c != want {
		t.Errorf("c's alert = %+v, want %+v", c, want)
	}
	prev, err := ranking.RankChangesOf(ctx, s.pool, window.To.Add(time.Hour), []string{s.seller["a"], s.seller["c"]})
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := prev[s.seller["a"]]; len(prev) != 1 || !ok || a.OldRank != 1 || a.NewRank != 4 || !a.PeriodEnd.Equal(window.To.Add(time.Hour)) {
		t.Errorf("the hour before: %+v, want a's alert from 1 to 4 only", prev)
	}
	none, err := ranking.RankChangesOf(ctx, s.pool, window.To.Add(5*time.Hour), []string{s.seller["a"], s.seller["c"]})
	if err != nil || len(none) != 0 {
		t.Errorf("a period without a run: %+v, %v; want no alerts", none, err)
	}
}
