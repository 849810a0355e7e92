package ranking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"shopflow/config"
	"shopflow/errs"
)

// cacheTestDocument is a published category document with n products.
func cacheTestDocument(t *testing.T, n int) []byte {
	t.Helper()
	w := Window{From: time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	cr := CategoryRanking{CategoryID: 7}
	for i := 1; i <= n; i++ {
		cr.Products = append(cr.Products, Product{Rank: i, ProductID: int64(100 + i), Name: fmt.Sprintf("p %d", i),
			Units: int64(1000 - i), RevenueCents: int64(5000 - i), Currency: "USD"})
	}
	raw, err := json.MarshalIndent(cr.Document(w, w.To.Add(time.Minute)), "", "  ") // as if spaced out
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Each limit is served the document cut to its first products, byte for byte what encoding the
// cut document would give, with an ETag of its own and its exact length.
func TestPreparedCategoryServesEveryLimit(t *testing.T) {
	raw := cacheTestDocument(t, 12)
	var whole CategoryDocument
	if err := json.Unmarshal(raw, &whole); err != nil {
		t.Fatal(err)
	}
	doc, err := prepareCategory(raw, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	etags := map[string]int{}
	for _, limit := range []int{1, 5, 11, 12, 13, MaxServedProducts} {
		v := doc.Variant(limit)
		if doc.Variant(limit) != v {
			t.Errorf("limit %d: prepared again on the second call", limit)
		}
		var b bytes.Buffer
		if n, err := v.WriteTo(&b); err != nil || int(n) != b.Len() {
			t.Fatalf("WriteTo: %d, %v", n, err)
		}
		cut := whole
		cut.Products = whole.Products[:min(limit, len(whole.Products))]
		want, _ := json.Marshal(cut)
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("limit %d:\n got %s\nwant %s", limit, b.Bytes(), want)
		}
		if v.Length[0] != strconv.Itoa(b.Len()) {
			t.Errorf("limit %d: Content-Length %s, body %d bytes", limit, v.Length[0], b.Len())
		}
		if prev, ok := etags[v.ETag[0]]; ok && limit <= len(whole.Products) {
			t.Errorf("limits %d and %d share ETag %s", prev, limit, v.ETag[0])
		}
		etags[v.ETag[0]] = limit
	}
	if doc.Variant(13).ETag[0] != doc.Variant(12).ETag[0] {
		t.Error("limits past the last product serve the same body, so the same ETag")
	}
	empty, err := prepareCategory(cacheTestDocument(t, 0), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_, _ = empty.Variant(10).WriteTo(&b)
	var got CategoryDocument
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || got.CategoryID != 7 || len(got.Products) != 0 {
		t.Errorf("a category without sales: %s (%v)", b.Bytes(), err)
	}
	if _, err := prepareCategory([]byte(`{"products": [1,`), time.Now()); err == nil {
		t.Error("a broken document was prepared")
	}
}

// A full cache makes room by dropping expired entries first, then others, down to seven
// eighths, and never drops the entry it is adding.
func TestCacheKeepBoundsItsSize(t *testing.T) {
	c := &Cache{maxEntries: 16, entries: map[int64]*PreparedCategory{}}
	now := time.Now()
	fresh, expired := now.Add(time.Minute), now.Add(-time.Second)
	for id := int64(1); id <= 16; id++ {
		e := &PreparedCategory{}
		if id%2 == 0 {
			e.expires.Store(expired.UnixNano())
		} else {
			e.expires.Store(fresh.UnixNano())
		}
		c.keep(id, e, now)
	}
	if len(c.entries) != 16 {
		t.Fatalf("%d entries, want 16 before the cache is full", len(c.entries))
	}
	added := &PreparedCategory{}
	added.expires.Store(fresh.UnixNano())
	c.keep(100, added, now)
	if c.entries[100] != added {
		t.Error("the new entry was not kept")
	}
	for id, e := range c.entries {
		if e.expires.Load() <= now.UnixNano() {
			t.Errorf("expired entry %d survived while the cache made room", id)
		}
	}
	if len(c.entries) != 9 {
		t.Errorf("%d entries after making room, want the 8 fresh ones and the new one", len(c.entries))
	}
	for id := int64(200); id < 230; id++ {
		e := &PreparedCategory{}
		e.expires.Store(fresh.UnixNano())
		c.keep(id, e, now)
		if len(c.entries) > c.maxEntries {
			t.Fatalf("%d entries, over the bound of %d", len(c.entries), c.maxEntries)
		}
	}
}

// Rankings may be reused until a minute after the next publication at minute 1 of the hour.
func TestSecondsToRefresh(t *testing.T) {
	hour := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Duration
		want int64
	}{
		{0, 120},                               // 10:00:00 -> 10:02
		{59 * time.Second, 61},                 // 10:00:59 -> 10:02
		{time.Minute, 3660},                    // 10:01:00, just published -> 11:02
		{30 * time.Minute, 1920},               // 10:30 -> 11:02
		{59*time.Minute + 59*time.Second, 121}, // 10:59:59 -> 11:02
	} {
		if got := SecondsToRefresh(hour.Add(c.at)); got != c.want {
			t.Errorf("at %s: %d, want %d", hour.Add(c.at).Format("15:04:05"), got, c.want)
		}
	}
}

// Without Redis and Postgres there is nothing to serve: a clear 503, not a panic or a 404.
func TestCacheWithoutBackends(t *testing.T) {
	c := NewCache(config.Config{TopSellersCacheTTL: time.Second}, nil, nil, nil)
	if _, _, err := c.Category(t.Context(), 1); !errs.Is(err, errs.Unavailable) {
		t.Errorf("category: %v, want unavailable", err)
	}
	if _, _, err := c.Seller(t.Context(), "00000000-0000-0000-0000-000000000001"); !errs.Is(err, errs.Unavailable) {
		t.Errorf("seller: %v, want unavailable", err)
	}
}
