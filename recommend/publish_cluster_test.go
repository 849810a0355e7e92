package recommend_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"shopflow/recommend"
	"shopflow/recommend/recommendtest"
	"shopflow/redistest"
	"shopflow/store"
	"shopflow/store/storetest"
)

// Lists are one key per product, written by a plain (non-transactional) pipeline and read by
// one: on a Redis Cluster go-redis splits both by slot, so lists of products on different
// masters publish and read back together, and an emptied list's DEL reaches its own master.
func TestRecommendationsOnRedisCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	ctx, prefix := context.Background(), redistest.Prefix()
	pool := storetest.NewPool(t)
	st := store.New(pool)
	ids, err := recommendtest.SeedProducts(ctx, pool, 12, 10)
	if err != nil {
		t.Fatal(err)
	}
	slots := map[int64]bool{}
	for _, id := range ids {
		slots[c.Slot(t, recommend.AlsoBoughtKey(prefix, id))] = true
	}
	if len(slots) < 3 {
		t.Fatalf("the lists' keys fall in %d slots; the test needs them spread", len(slots))
	}
	now := time.Date(2026, 11, 21, 9, 5, 0, 0, time.UTC)
	var lines []store.SaleLine
	for o := range 3 { // each pair (ids[2i], ids[2i+1]) bought together three times
		for i := 0; i+1 < len(ids); i += 2 {
			order := fmt.Sprintf("%d-%d", o, i)
			lines = append(lines,
				store.SaleLine{Source: "t", ExternalOrderID: order, LineNo: 1, OrderedAt: now, ProductID: ids[i], Quantity: 1, Currency: "USD"},
				store.SaleLine{Source: "t", ExternalOrderID: order, LineNo: 2, OrderedAt: now, ProductID: ids[i+1], Quantity: 1, Currency: "USD"})
		}
	}
	if _, err := st.RecordSales(ctx, lines); err != nil {
		t.Fatal(err)
	}
	if _, err := recommend.UpdateCounts(ctx, st, now, 7, func(recommend.CountResult) {}); err != nil {
		t.Fatal(err)
	}
	pub, err := recommend.PublishLists(ctx, st, c.Client, prefix,
		recommend.PublishOptions{WindowDays: 7, MinSupport: 2, N: 10, GeneratedAt: now}, func(recommend.Publication) {})
	if err != nil {
		t.Fatal(err)
	}
	if pub.Written != len(ids) || pub.Products != len(ids) {
		t.Fatalf("publication %+v, want a list for each of %d products", pub, len(ids))
	}
	r := recommend.Reader{Redis: c.Client, Prefix: prefix}
	lists, err := r.AlsoBoughtOf(ctx, append(ids, 999_999))
	if err != nil {
		t.Fatal(err)
	}
	if len(lists) != len(ids) {
		t.Fatalf("read %d lists, want %d", len(lists), len(ids))
	}
	for i, l := range lists {
		partner := ids[i^1]
		if l.ProductID != ids[i] || len(l.Items) != 1 || l.Items[0].ProductID != partner || l.Items[0].Support != 3 {
			t.Fatalf("list of %d: %+v, want %d with support 3", ids[i], l, partner)
		}
	}
	if l, ok, err := r.AlsoBought(ctx, ids[5]); err != nil || !ok || l.Items[0].ProductID != ids[4] {
		t.Fatalf("AlsoBought(%d): %+v %v %v", ids[5], l, ok, err)
	}
}
