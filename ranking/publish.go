package ranking

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis layout, under the deployment's prefix P:
//
//	P topsellers:current                    the generation readers use (a string)
//	P topsellers:generations                every generation written and not yet retired (a set
//	                                        sorted by name, which sorts by hour, then time)
//	P topsellers:{<gen>}:cat:<id>           a category's CategoryDocument
//	P topsellers:{<gen>}:seller:<uuid>      a seller's SellerDocument (sellers that sold only)
//	P topsellers:{<gen>}:meta               the generation's Meta
//	P topsellers:{<gen>}:keys               the set of the generation's document keys
//
// A publication writes a whole new generation, then switches the pointer to it in one
// command, so a reader that reads the pointer once sees documents of one generation only.
// The hash tag {<gen>} puts a generation's keys in one Redis Cluster slot, so a reader can
// fetch several documents of one generation with one MGET, and the pipelines writing them go
// to one node. (The prefix must therefore not contain '{': config refuses one in cluster mode.)
// The pointer and the generations set are keys of their own: each is changed by one command
// or one single-key script, which needs no slot shared with anything else.

// RetireAfter is how long a replaced generation stays readable, so readers that read the old
// pointer just before the switch still find its documents.
const RetireAfter = time.Hour

// pipelineChunk bounds how many documents one pipeline carries, and so the memory a
// publication holds in flight.
const pipelineChunk = 500

// CategoryDocument is the published form of a category's top sellers, as the API serves it.
type CategoryDocument struct {
	CategoryID  int64     `json:"category_id"`
	Window      Window    `json:"window"`
	GeneratedAt time.Time `json:"generated_at"`
	Products    []Product `json:"products"`
}

// SellerDocument is the published form of a seller's standing, as the API serves it.
type SellerDocument struct {
	SellerID    string             `json:"seller_id"`
	Window      Window             `json:"window"`
	GeneratedAt time.Time          `json:"generated_at"`
	Overall     OverallStanding    `json:"overall"`
	Categories  []CategoryStanding `json:"categories"`
}

// OverallStanding is a seller's place among all sellers. Rank and Currency are null for a
// seller that sold nothing in the window; Of still says how many sellers are ranked.
type OverallStanding struct {
	Rank         *int    `json:"rank"`
	Of           int     `json:"of"`
	Units        int64   `json:"units"`
	RevenueCents int64   `json:"revenue_cents"`
	Currency     *string `json:"currency"`
}

// Meta describes one published generation.
type Meta struct {
	Generation    string    `json:"generation"`
	Window        Window    `json:"window"`
	GeneratedAt   time.Time `json:"generated_at"`
	Categories    int       `json:"categories"`
	RankedSellers int       `json:"ranked_sellers"`
}

// Publication says what Publish did.
type Publication struct {
	Generation string
	// Current is false when a newer generation (a later hour, or a later run of the same hour)
	// was already current: the pointer was left alone and this generation retired at once.
	Current bool
	// Retired lists the generations given RetireAfter to live.
	Retired []string
}

// Document returns the category's published document.
func (c CategoryRanking) Document(w Window, generatedAt time.Time) CategoryDocument {
	return CategoryDocument{CategoryID: c.CategoryID, Window: w, GeneratedAt: generatedAt, Products: c.Products}
}

// Document returns the seller's published document; ranked is how many sellers are ranked
// overall. A zero Overall (a seller that sold nothing) has a null rank.
func (s SellerRanking) Document(w Window, generatedAt time.Time, ranked int) SellerDocument {
	d := SellerDocument{SellerID: s.SellerID, Window: w, GeneratedAt: generatedAt, Categories: s.Categories,
		Overall: OverallStanding{Of: ranked, Units: s.Overall.Units, RevenueCents: s.Overall.RevenueCents}}
	if s.Overall.Rank > 0 {
		rank, currency := s.Overall.Rank, s.Overall.Currency
		d.Overall.Rank, d.Overall.Currency = &rank, &currency
	}
	if d.Categories == nil {
		d.Categories = []CategoryStanding{}
	}
	return d
}

// NoSalesDocument is the document of a seller with no sales in the generation m describes.
func (m Meta) NoSalesDocument(sellerID string) SellerDocument {
	return SellerRanking{SellerID: sellerID}.Document(m.Window, m.GeneratedAt, m.RankedSellers)
}

// Generation names the publication of a ranking for the window ending at to, generated at
// generatedAt. Names sort as the rankings should replace each other: by hour, then by time.
func Generation(to, generatedAt time.Time) string {
	return fmt.Sprintf("%s.%019d", to.UTC().Format("20060102T15"), generatedAt.UnixNano())
}

// Publish writes r as a new generation of documents, makes it current unless a newer one
// already is, and retires the generations it replaces. Running it again for the same ranking
// publishes an equal generation: it is safe to retry.
func Publish(ctx context.Context, rdb redis.UniversalClient, prefix string, r Ranking) (Publication, error) {
	k := keys{prefix}
	gen := Generation(r.Window.To, r.GeneratedAt)
	pub := Publication{Generation: gen}
	// Registered first, so a publication that dies halfway is retired by a later one.
	if err := rdb.ZAdd(ctx, k.generations(), redis.Z{Member: gen}).Err(); err != nil {
		return pub, fmt.Errorf("register generation %s: %w", gen, err)
	}
	if err := writeDocuments(ctx, rdb, k, gen, r); err != nil {
		return pub, fmt.Errorf("write generation %s: %w", gen, err)
	}
	switched, current, err := switchTo(ctx, rdb, k, gen)
	if err != nil {
		return pub, fmt.Errorf("make generation %s current: %w", gen, err)
	}
	pub.Current = switched
	// Everything older than what is current now goes: the one just replaced, ones whose
	// publication died, and this one if it lost to a newer one.
	old, err := rdb.ZRangeByLex(ctx, k.generations(), &redis.ZRangeBy{Min: "-", Max: "(" + current}).Result()
	if err != nil {
		return pub, fmt.Errorf("list generations older than %s: %w", current, err)
	}
	if !switched && !slices.Contains(old, gen) {
		// Another publisher may have retired it while it was written: retire what it has now.
		old = append(old, gen)
	}
	for _, g := range old {
		if err := retire(ctx, rdb, k, g); err != nil {
			return pub, err
		}
		pub.Retired = append(pub.Retired, g)
	}
	return pub, nil
}

func writeDocuments(ctx context.Context, rdb redis.UniversalClient, k keys, gen string, r Ranking) error {
	b := batch{ctx: ctx, rdb: rdb, set: k.doc(gen, "keys")}
	for _, c := range r.Categories {
		if err := b.put(k.doc(gen, "cat:"+strconv.FormatInt(c.CategoryID, 10)), c.Document(r.Window, r.GeneratedAt)); err != nil {
			return err
		}
	}
	for _, s := range r.Sellers {
		if err := b.put(k.doc(gen, "seller:"+s.SellerID), s.Document(r.Window, r.GeneratedAt, r.RankedSellers)); err != nil {
			return err
		}
	}
	meta := Meta{Generation: gen, Window: r.Window, GeneratedAt: r.GeneratedAt, Categories: len(r.Categories), RankedSellers: r.RankedSellers}
	if err := b.put(k.doc(gen, "meta"), meta); err != nil {
		return err
	}
	return b.flush()
}

// batch writes documents through pipelines of at most pipelineChunk, recording each key in
// the generation's key set so the generation can be retired whole.
type batch struct {
	ctx  context.Context
	rdb  redis.UniversalClient
	set  string
	pipe redis.Pipeliner
	keys []any
}

func (b *batch) put(key string, doc any) error {
	raw, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	if b.pipe == nil {
		b.pipe = b.rdb.Pipeline()
	}
	b.pipe.Set(b.ctx, key, raw, 0)
	b.keys = append(b.keys, key)
	if len(b.keys) >= pipelineChunk {
		return b.flush()
	}
	return nil
}

func (b *batch) flush() error {
	if len(b.keys) == 0 {
		return nil
	}
	b.pipe.SAdd(b.ctx, b.set, b.keys...)
	_, err := b.pipe.Exec(b.ctx)
	b.pipe, b.keys = nil, b.keys[:0]
	return err
}

// switchScript makes ARGV[1] the current generation unless a newer one already is, and returns
// {1 if it switched else 0, the generation current afterwards}: a late run of an earlier hour
// must never take readers back in time. It touches one key, so it is Cluster-safe.
var switchScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur > ARGV[1] then
  return {0, cur}
end
redis.call('SET', KEYS[1], ARGV[1])
return {1, ARGV[1]}
`)

// switchTo points readers at gen and reports whether it did and which generation is current.
func switchTo(ctx context.Context, rdb redis.UniversalClient, k keys, gen string) (bool, string, error) {
	res, err := switchScript.Run(ctx, rdb, []string{k.current()}, gen).Slice()
	if err != nil {
		return false, "", err
	}
	if len(res) != 2 {
		return false, "", fmt.Errorf("switch script answered %v", res)
	}
	switched, _ := res[0].(int64)
	current, _ := res[1].(string)
	return switched == 1, current, nil
}

// retire gives every key of generation g RetireAfter to live, then forgets g.
func retire(ctx context.Context, rdb redis.UniversalClient, k keys, g string) error {
	members, err := rdb.SMembers(ctx, k.doc(g, "keys")).Result()
	if err != nil {
		return fmt.Errorf("list keys of generation %s: %w", g, err)
	}
	for start := 0; ; start += pipelineChunk {
		end := min(start+pipelineChunk, len(members))
		pipe := rdb.Pipeline()
		for _, key := range members[start:end] {
			pipe.Expire(ctx, key, RetireAfter)
		}
		last := end == len(members)
		if last {
			pipe.Expire(ctx, k.doc(g, "keys"), RetireAfter)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("retire generation %s: %w", g, err)
		}
		if last {
			break
		}
	}
	if err := rdb.ZRem(ctx, k.generations(), g).Err(); err != nil {
		return fmt.Errorf("forget generation %s: %w", g, err)
	}
	return nil
}

// keys names the Redis keys under one deployment's prefix.
type keys struct{ prefix string }

func (k keys) current() string     { return k.prefix + "topsellers:current" }
func (k keys) generations() string { return k.prefix + "topsellers:generations" }

// doc names a key of generation gen; the braces are the Cluster hash tag.
func (k keys) doc(gen, name string) string { return k.prefix + "topsellers:{" + gen + "}:" + name }
