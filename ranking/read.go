package ranking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// ErrNotPublished means Redis holds no current ranking, or not the document asked for (a
// category created since the last publication, say): the reader should compute it instead.
var ErrNotPublished = errors.New("top sellers are not published")

// Reader reads published rankings. Each call reads the current generation once and every
// document it returns from that generation.
type Reader struct {
	Redis  redis.UniversalClient
	Prefix string
}

// Generation is the current generation's name.
func (r Reader) Generation(ctx context.Context) (string, error) {
	gen, err := r.Redis.Get(ctx, keys{r.Prefix}.current()).Result()
	if errors.Is(err, redis.Nil) {
		return "", ErrNotPublished
	}
	if err != nil {
		return "", fmt.Errorf("read current top-sellers generation: %w", err)
	}
	return gen, nil
}

// Category returns a category's CategoryDocument as published (JSON).
func (r Reader) Category(ctx context.Context, categoryID int64) ([]byte, error) {
	gen, err := r.Generation(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := r.Redis.Get(ctx, keys{r.Prefix}.doc(gen, "cat:"+strconv.FormatInt(categoryID, 10))).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("category %d in generation %s: %w", categoryID, gen, ErrNotPublished)
	}
	if err != nil {
		return nil, fmt.Errorf("read top sellers of category %d: %w", categoryID, err)
	}
	return raw, nil
}

// Categories returns the documents of several categories, all of one generation (one MGET:
// the generation's keys share a Cluster slot). A category without a document gets nil.
func (r Reader) Categories(ctx context.Context, categoryIDs []int64) (string, [][]byte, error) {
	gen, err := r.Generation(ctx)
	if err != nil {
		return "", nil, err
	}
	k := keys{r.Prefix}
	names := make([]string, len(categoryIDs))
	for i, id := range categoryIDs {
		names[i] = k.doc(gen, "cat:"+strconv.FormatInt(id, 10))
	}
	vals, err := r.Redis.MGet(ctx, names...).Result()
	if err != nil {
		return "", nil, fmt.Errorf("read top sellers of %d categories: %w", len(categoryIDs), err)
	}
	docs := make([][]byte, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			docs[i] = []byte(s)
		}
	}
	return gen, docs, nil
}

// Seller returns a seller's SellerDocument as published (JSON), and the generation's Meta.
// A seller that sold nothing in the window has no document: raw is nil, and
// meta.NoSalesDocument is its document (if the seller exists; the reader checks).
func (r Reader) Seller(ctx context.Context, sellerID string) (raw []byte, meta Meta, err error) {
	gen, err := r.Generation(ctx)
	if err != nil {
		return nil, Meta{}, err
	}
	k := keys{r.Prefix}
	pipe := r.Redis.Pipeline()
	doc := pipe.Get(ctx, k.doc(gen, "seller:"+sellerID))
	m := pipe.Get(ctx, k.doc(gen, "meta"))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, Meta{}, fmt.Errorf("read rank of seller %s: %w", sellerID, err)
	}
	rawMeta, err := m.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, Meta{}, fmt.Errorf("meta of generation %s: %w", gen, ErrNotPublished)
	}
	if err != nil {
		return nil, Meta{}, fmt.Errorf("read meta of generation %s: %w", gen, err)
	}
	if err := json.Unmarshal(rawMeta, &meta); err != nil {
		return nil, Meta{}, fmt.Errorf("decode meta of generation %s: %w", gen, err)
	}
	raw, err = doc.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, meta, nil
	}
	if err != nil {
		return nil, Meta{}, fmt.Errorf("read rank of seller %s: %w", sellerID, err)
	}
	return raw, meta, nil
}
