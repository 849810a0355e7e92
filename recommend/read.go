package recommend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Reader reads published "also bought" lists from Redis.
type Reader struct {
	Redis  redis.UniversalClient
	Prefix string
}

// AlsoBought returns the product's published list; ok is false when none is published (too
// little data).
func (r Reader) AlsoBought(ctx context.Context, productID int64) (list AlsoBought, ok bool, err error) {
	raw, err := r.Redis.Get(ctx, AlsoBoughtKey(r.Prefix, productID)).Bytes()
	if errors.Is(err, redis.Nil) {
		return AlsoBought{}, false, nil
	}
	if err != nil {
		return AlsoBought{}, false, fmt.Errorf("read also-bought list of product %d: %w", productID, err)
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return AlsoBought{}, false, fmt.Errorf("decode also-bought list of product %d: %w", productID, err)
	}
	return list, true, nil
}

// AlsoBoughtOf returns the published lists of the products among ids that have one, in the
// order of ids, with one pipeline (the keys may live in different Cluster slots).
func (r Reader) AlsoBoughtOf(ctx context.Context, ids []int64) ([]AlsoBought, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := r.Redis.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.Get(ctx, AlsoBoughtKey(r.Prefix, id))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read also-bought lists of %d products: %w", len(ids), err)
	}
	lists := make([]AlsoBought, 0, len(ids))
	for i, cmd := range cmds {
		raw, err := cmd.Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read also-bought list of product %d: %w", ids[i], err)
		}
		var l AlsoBought
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("decode also-bought list of product %d: %w", ids[i], err)
		}
		lists = append(lists, l)
	}
	return lists, nil
}
