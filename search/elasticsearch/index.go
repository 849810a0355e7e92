package elasticsearch

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/elastic/go-elasticsearch/v8/typedapi/core/bulk"
	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/create"
	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/updatealiases"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/operationtype"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/versiontype"

	"shopflow/search"
)

// versionConflict is the error type of a write that carries an older version than the index
// holds: the document is already newer, so the write is dropped, not failed.
const versionConflict = "version_conflict_engine_exception"

// Apply writes docs to the live alias. require_alias stops Elasticsearch from creating an
// index named like the alias when no reindex has made the alias yet; those documents come
// back in Failed and stay queued until one has.
func (e *Engine) Apply(ctx context.Context, docs []search.Document) (search.ApplyResult, error) {
	res, err := e.write(ctx, e.alias, true, docs)
	if err != nil {
		return search.ApplyResult{}, fmt.Errorf("elasticsearch apply %d documents: %w", len(docs), err)
	}
	return res, nil
}

// Load writes docs into the physical index a reindex is building.
func (e *Engine) Load(ctx context.Context, index string, docs []search.Document) (search.ApplyResult, error) {
	res, err := e.write(ctx, index, false, docs)
	if err != nil {
		return search.ApplyResult{}, fmt.Errorf("elasticsearch load %d documents into %s: %w", len(docs), index, err)
	}
	return res, nil
}

// write sends docs in one bulk request of index actions versioned externally (external_gte),
// so of two writes of one product the one read later wins whatever order they arrive in, and
// a retried bulk is harmless. The _id is the product id.
func (e *Engine) write(ctx context.Context, target string, requireAlias bool, docs []search.Document) (search.ApplyResult, error) {
	if len(docs) == 0 {
		return search.ApplyResult{}, nil
	}
	req := e.client.Bulk().Index(target)
	if requireAlias {
		req.RequireAlias(true)
	}
	for _, d := range docs {
		if d.Version > math.MaxInt64 {
			return search.ApplyResult{}, fmt.Errorf("product %d: version %d exceeds Elasticsearch's range", d.ID, d.Version)
		}
		id, version, gte := strconv.FormatInt(d.ID, 10), int64(d.Version), versiontype.Externalgte
		op := types.IndexOperation{Id_: &id, Version: &version, VersionType: &gte}
		if err := req.IndexOp(op, toIndexed(d)); err != nil {
			return search.ApplyResult{}, fmt.Errorf("product %d: %w", d.ID, err)
		}
	}
	ctx, cancel := e.withTimeout(ctx)
	defer cancel()
	resp, err := req.Do(ctx)
	if err != nil {
		return search.ApplyResult{}, err
	}
	return bulkResult(resp, docs)
}

// bulkResult counts the written documents and lists the refused ones. Items come back in the
// order of the request's actions.
func bulkResult(resp *bulk.Response, docs []search.Document) (search.ApplyResult, error) {
	if len(resp.Items) != len(docs) {
		return search.ApplyResult{}, fmt.Errorf("bulk answered %d items for %d documents", len(resp.Items), len(docs))
	}
	var res search.ApplyResult
	for i, item := range resp.Items {
		r, ok := item[operationtype.Index]
		switch {
		case !ok:
			res.Failed = append(res.Failed, docs[i].ID)
		case r.Status >= 200 && r.Status < 300:
			res.Written++
		case r.Error != nil && r.Error.Type == versionConflict:
			// Stale: the index already holds this version or a newer one.
		default:
			res.Failed = append(res.Failed, docs[i].ID)
		}
	}
	return res, nil
}

// CreateIndex makes a new physical index with the current settings and mapping.
func (e *Engine) CreateIndex(ctx context.Context) (string, error) {
	name := e.prefix + strconv.FormatInt(time.Now().UnixNano(), 10)
	ctx, cancel := e.withTimeout(ctx)
	defer cancel()
	_, err := e.client.Indices.Create(name).Request(&create.Request{
		Settings: e.indexSettings(),
		Mappings: indexMapping(),
	}).Do(ctx)
	if err != nil {
		return "", fmt.Errorf("elasticsearch create index %s: %w", name, err)
	}
	return name, nil
}

// Count refreshes index, so every loaded document is visible, and counts its documents.
func (e *Engine) Count(ctx context.Context, index string) (int64, error) {
	ctx, cancel := e.withTimeout(ctx)
	defer cancel()
	if _, err := e.client.Indices.Refresh().Index(index).Do(ctx); err != nil {
		return 0, fmt.Errorf("elasticsearch refresh %s: %w", index, err)
	}
	resp, err := e.client.Count().Index(index).Do(ctx)
	if err != nil {
		return 0, fmt.Errorf("elasticsearch count %s: %w", index, err)
	}
	return resp.Count, nil
}

// Swap points the alias at index alone in one _aliases request, which Elasticsearch applies
// atomically: searches see the old indexes or the new one, never neither. If another swap
// moved the alias since Live was read, a remove fails and nothing changes.
func (e *Engine) Swap(ctx context.Context, index string) ([]string, error) {
	live, err := e.Live(ctx)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch swap to %s: %w", index, err)
	}
	actions := []types.IndicesAction{}
	removed := []string{}
	for _, old := range live {
		if old == index {
			continue
		}
		actions = append(actions, types.IndicesAction{Remove: &types.RemoveAction{Index: strPtr(old), Alias: strPtr(e.alias)}})
		removed = append(removed, old)
	}
	actions = append(actions, types.IndicesAction{Add: &types.AddAction{Index: strPtr(index), Alias: strPtr(e.alias)}})
	ctx, cancel := e.withTimeout(ctx)
	defer cancel()
	if _, err := e.client.Indices.UpdateAliases().Request(&updatealiases.Request{Actions: actions}).Do(ctx); err != nil {
		return nil, fmt.Errorf("elasticsearch swap %s to %s: %w", e.alias, index, err)
	}
	return removed, nil
}

// Drop deletes a physical index; one that does not exist is already dropped.
func (e *Engine) Drop(ctx context.Context, index string) error {
	ctx, cancel := e.withTimeout(ctx)
	defer cancel()
	if _, err := e.client.Indices.Delete(index).Do(ctx); err != nil && !isStatus(err, http.StatusNotFound) {
		return fmt.Errorf("elasticsearch drop %s: %w", index, err)
	}
	return nil
}

// Live names the physical indexes behind the alias, sorted; none before the first Swap.
func (e *Engine) Live(ctx context.Context) ([]string, error) {
	ctx, cancel := e.withTimeout(ctx)
	defer cancel()
	resp, err := e.client.Indices.GetAlias().Name(e.alias).Do(ctx)
	if isStatus(err, http.StatusNotFound) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("elasticsearch live indexes of %s: %w", e.alias, err)
	}
	names := make([]string, 0, len(resp))
	for name := range resp {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}
