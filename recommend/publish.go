package recommend

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"shopflow/store"
)

// publishChunk is how many lists one step computes and writes with one pipeline.
const publishChunk = 500

// PublishOptions says how lists are computed and labelled.
type PublishOptions struct {
	WindowDays  int
	MinSupport  int
	N           int
	GeneratedAt time.Time
	// All recomputes every product's list, not only those whose counts changed: the periodic
	// refresh that also catches products archived, or out of or back in stock, since.
	All bool
}

// Publication says what PublishLists wrote.
type Publication struct {
	Written  int // lists written
	Removed  int // lists deleted (now empty)
	Products int // products with a published list after the run
}

// PublishLists recomputes the lists of the products marked since the last publication (all of them
// with opts.All) and writes them to Redis: one key per product, a SET that a reader sees whole,
// or a DEL when the list is now empty. It then writes Meta. Marks are cleared only after their
// lists are written, so a retried run picks up where this one stopped.
func PublishLists(ctx context.Context, st *store.Store, rdb redis.UniversalClient, prefix string, opts PublishOptions, progress func(Publication)) (Publication, error) {
	var res Publication
	if opts.All {
		if _, err := st.MarkAllRecsDirty(ctx); err != nil {
			return res, err
		}
	}
	for after := int64(0); ; {
		marked, err := st.RecsDirtyAfter(ctx, after, publishChunk)
		if err != nil {
			return res, err
		}
		if len(marked) == 0 {
			break
		}
		after = marked[len(marked)-1].ProductID
		written, removed, listed, err := publishMarked(ctx, st, rdb, prefix, opts, marked)
		if err != nil {
			return res, err
		}
		if err := st.ClearRecsDirty(ctx, marked, listed); err != nil {
			return res, err
		}
		res.Written += written
		res.Removed += removed
		progress(res)
	}
	n, err := st.RecsListed(ctx)
	if err != nil {
		return res, err
	}
	res.Products = n
	meta, err := json.Marshal(Meta{GeneratedAt: opts.GeneratedAt.UTC(), WindowDays: opts.WindowDays, Products: n})
	if err != nil {
		return res, fmt.Errorf("encode recommendations meta: %w", err)
	}
	if err := rdb.Set(ctx, MetaKey(prefix), meta, 0).Err(); err != nil {
		return res, fmt.Errorf("write recommendations meta: %w", err)
	}
	return res, nil
}

// publishMarked computes the marked products' lists and writes them with one pipeline.
func publishMarked(ctx context.Context, st *store.Store, rdb redis.UniversalClient, prefix string, opts PublishOptions,
	marked []store.RecsDirty) (written, removed int, listed map[int64]bool, err error) {
	ids := make([]int64, len(marked))
	for i, m := range marked {
		ids[i] = m.ProductID
	}
	rows, err := st.AlsoBoughtLists(ctx, ids, opts.MinSupport, opts.N)
	if err != nil {
		return 0, 0, nil, err
	}
	lists := GroupLists(rows, opts.WindowDays, opts.GeneratedAt)
	listed = make(map[int64]bool, len(lists))
	pipe := rdb.Pipeline()
	for _, id := range ids {
		l, ok := lists[id]
		if !ok {
			pipe.Del(ctx, AlsoBoughtKey(prefix, id))
			removed++
			continue
		}
		doc, err := json.Marshal(l)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("encode also-bought list of product %d: %w", id, err)
		}
		pipe.Set(ctx, AlsoBoughtKey(prefix, id), doc, 0)
		listed[id] = true
		written++
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, 0, nil, fmt.Errorf("write %d also-bought lists: %w", len(ids), err)
	}
	return written, removed, listed, nil
}

// GroupLists turns rows (ordered by product, then rank) into one AlsoBought per product.
func GroupLists(rows []store.AlsoBoughtRow, windowDays int, generatedAt time.Time) map[int64]AlsoBought {
	out := make(map[int64]AlsoBought)
	for _, r := range rows {
		l, ok := out[r.ProductID]
		if !ok {
			l = AlsoBought{ProductID: r.ProductID, GeneratedAt: generatedAt.UTC(), WindowDays: windowDays}
		}
		l.Items = append(l.Items, Item{ProductID: r.OtherID, Score: r.Score, Support: r.Support})
		out[r.ProductID] = l
	}
	return out
}
