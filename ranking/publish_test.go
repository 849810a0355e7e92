package ranking_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"shopflow/ranking"
)

// newRedis is a client of the test Redis and a key prefix of the test's own, removed at the end.
func newRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	url := os.Getenv("SHOPFLOW_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", url, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := rdb.Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})
	return rdb, prefix
}

// syntheticRanking is publication number i of a ranking of categories 1..categories, whose
// every product sold i units: a document's units say which publication wrote it.
func syntheticRanking(to time.Time, i, categories int) ranking.Ranking {
	r := ranking.Ranking{Window: ranking.Window{From: to.Add(-24 * time.Hour), To: to},
		GeneratedAt: to.Add(time.Duration(i) * time.Second), RankedSellers: 1}
	for c := 1; c <= categories; c++ {
		var ps []ranking.Product
		if c%7 != 0 { // some categories sold nothing
			for rank := 1; rank <= 3; rank++ {
				ps = append(ps, ranking.Product{Rank: rank, ProductID: int64(c*10 + rank), Name: fmt.Sprintf("p%d", c*10+rank),
					Units: int64(i), RevenueCents: int64(i * 100), Currency: "USD"})
			}
		} else {
			ps = []ranking.Product{}
		}
		r.Categories = append(r.Categories, ranking.CategoryRanking{CategoryID: int64(c), Products: ps})
	}
	r.Sellers = []ranking.SellerRanking{{SellerID: "00000000-0000-0000-0000-00000000000a",
		Overall:    ranking.Standing{Rank: 1, Of: 1, Units: int64(i), RevenueCents: int64(i * 100), Currency: "USD"},
		Categories: []ranking.CategoryStanding{{CategoryID: 1, Standing: ranking.Standing{Rank: 1, Of: 1, Units: int64(i), Currency: "USD"}}}}}
	return r
}

// A reader polling every category while rankings are published over and over sees, in every
// read, documents of one publication only, and never a missing one.
func TestReadersNeverSeeAMixOfPublications(t *testing.T) {
	t.Parallel()
	rdb, prefix := newRedis(t)
	ctx := context.Background()
	to := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	// Enough documents that one publication takes several pipelines.
	const categories, publications = 1200, 25
	ids := make([]int64, categories)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	if _, err := ranking.Publish(ctx, rdb, prefix, syntheticRanking(to, 1, categories)); err != nil {
		t.Fatal(err)
	}
	reader := ranking.Reader{Redis: rdb, Prefix: prefix}

	done := make(chan struct{})
	var wg sync.WaitGroup
	var publishErr error
	wg.Go(func() {
		defer close(done)
		for i := 2; i <= publications; i++ {
			if _, err := ranking.Publish(ctx, rdb, prefix, syntheticRanking(to, i, categories)); err != nil {
				publishErr = err
				return
			}
		}
	})
	seen := map[time.Time]bool{}
	reads := 0
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true // one more read, after the last publication
		default:
		}
		gen, docs, err := reader.Categories(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		reads++
		var at time.Time
		for i, raw := range docs {
			if raw == nil {
				t.Fatalf("read %d (generation %s): category %d has no document", reads, gen, ids[i])
			}
			var d ranking.CategoryDocument
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				at = d.GeneratedAt
			}
			publication := int64(d.GeneratedAt.Sub(to) / time.Second)
			if !d.GeneratedAt.Equal(at) || d.CategoryID != ids[i] {
				t.Fatalf("read %d (generation %s) mixes publications: category %d generated at %v, category %d at %v",
					reads, gen, ids[0], at, d.CategoryID, d.GeneratedAt)
			}
			for _, p := range d.Products {
				if p.Units != publication {
					t.Fatalf("read %d: category %d of publication %d holds a product of publication %d", reads, d.CategoryID, publication, p.Units)
				}
			}
		}
		seen[at] = true
		if reads > 100_000 {
			t.Fatal("the publisher never finished")
		}
	}
	wg.Wait()
	if publishErr != nil {
		t.Fatal(publishErr)
	}
	if len(seen) < 2 {
		t.Fatalf("the reader saw %d publication(s) in %d reads: it never overlapped the publisher, so this proves nothing", len(seen), reads)
	}
	if !seen[to.Add(publications*time.Second)] {
		t.Errorf("the last read did not see the last publication")
	}
	t.Logf("%d reads saw %d of %d publications", reads, len(seen), publications)
}

// Publication order follows the hours, not the wall clock: a late run of an earlier hour is
// written and retired at once, a rerun of the current hour replaces it; replaced generations
// live RetireAfter more, the current one forever, and a publication that died halfway is
// cleaned up by the next.
func TestPublishKeepsTheNewestAndRetiresTheRest(t *testing.T) {
	t.Parallel()
	rdb, prefix := newRedis(t)
	ctx := context.Background()
	ten := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	eleven := ten.Add(time.Hour)
	reader := ranking.Reader{Redis: rdb, Prefix: prefix}
	if _, err := reader.Category(ctx, 1); !errors.Is(err, ranking.ErrNotPublished) {
		t.Fatalf("before any publication: %v, want ErrNotPublished", err)
	}

	// A publication that died after writing some documents, before switching.
	dead := ranking.Generation(ten, ten.Add(-time.Minute))
	deadKey := prefix + "topsellers:{" + dead + "}:cat:1"
	rdb.ZAdd(ctx, prefix+"topsellers:generations", redis.Z{Member: dead})
	rdb.Set(ctx, deadKey, "{}", 0)
	rdb.SAdd(ctx, prefix+"topsellers:{"+dead+"}:keys", deadKey)

	publish := func(to time.Time, i int) ranking.Publication {
		t.Helper()
		p, err := ranking.Publish(ctx, rdb, prefix, syntheticRanking(to, i, 8))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	current := func() string {
		t.Helper()
		gen, err := reader.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return gen
	}
	ttl := func(gen, name string) time.Duration {
		t.Helper()
		d, err := rdb.TTL(ctx, prefix+"topsellers:{"+gen+"}:"+name).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	wantKept := func(gen string) {
		t.Helper()
		for _, name := range []string{"cat:1", "cat:7", "seller:00000000-0000-0000-0000-00000000000a", "meta", "keys"} {
			if d := ttl(gen, name); d != -1 {
				t.Errorf("%s of current generation %s: TTL %v, want none", name, gen, d)
			}
		}
	}
	wantRetired := func(gen string) {
		t.Helper()
		for _, name := range []string{"cat:1", "cat:7", "meta", "keys"} {
			if d := ttl(gen, name); d <= 0 || d > ranking.RetireAfter {
				t.Errorf("%s of replaced generation %s: TTL %v, want up to %v", name, gen, d, ranking.RetireAfter)
			}
		}
	}

	a := publish(ten, 1)
	if !a.Current || current() != a.Generation {
		t.Fatalf("first publication %+v is not current (%s)", a, current())
	}
	wantKept(a.Generation)
	if d, _ := rdb.TTL(ctx, deadKey).Result(); d <= 0 || d > ranking.RetireAfter {
		t.Errorf("the dead publication's document: TTL %v, want it retired", d)
	}
	b := publish(eleven, 2)
	if !b.Current || current() != b.Generation {
		t.Fatalf("eleven o'clock %+v did not replace ten (current %s)", b, current())
	}
	wantKept(b.Generation)
	wantRetired(a.Generation)
	if raw, err := reader.Category(ctx, 7); err != nil || !strings.Contains(string(raw), `"products":[]`) {
		t.Errorf("a category with no sales: %s %v, want an empty products list", raw, err)
	}

	late := publish(ten, 3) // ten o'clock's run, late: after eleven's
	if late.Current || current() != b.Generation {
		t.Fatalf("a late run of an earlier hour took over: %+v, current %s", late, current())
	}
	wantKept(b.Generation)
	wantRetired(late.Generation)

	rerun := publish(eleven, 4)
	if !rerun.Current || current() != rerun.Generation {
		t.Fatalf("a rerun of the current hour %+v did not replace it (current %s)", rerun, current())
	}
	wantRetired(b.Generation)
	left, err := rdb.ZRange(ctx, prefix+"topsellers:generations", 0, -1).Result()
	if err != nil || len(left) != 1 || left[0] != rerun.Generation {
		t.Errorf("generations left to retire: %v %v, want only the current one", left, err)
	}

	raw, meta, err := reader.Seller(ctx, "00000000-0000-0000-0000-00000000000a")
	if err != nil || !strings.Contains(string(raw), `"rank":1`) || meta.Generation != rerun.Generation || meta.RankedSellers != 1 {
		t.Errorf("seller with sales: %s %+v %v", raw, meta, err)
	}
	raw, meta, err = reader.Seller(ctx, "00000000-0000-0000-0000-00000000000b")
	if err != nil || raw != nil || meta.Generation != rerun.Generation {
		t.Fatalf("seller without sales: %s %+v %v, want no document and the meta", raw, meta, err)
	}
	doc := meta.NoSalesDocument("00000000-0000-0000-0000-00000000000b")
	if doc.Overall.Rank != nil || doc.Overall.Of != 1 || len(doc.Categories) != 0 || !doc.GeneratedAt.Equal(meta.GeneratedAt) {
		t.Errorf("no-sales document %+v", doc)
	}
}
