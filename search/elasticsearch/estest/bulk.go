package estest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// bulkMeta is the metadata of one bulk action.
type bulkMeta struct {
	Index       string `json:"_index"`
	ID          string `json:"_id"`
	Version     *int64 `json:"version"`
	VersionType string `json:"version_type"`
}

// bulk runs an NDJSON bulk request: index, create and delete actions, each succeeding or
// failing on its own, answered item by item in request order.
func (c *cluster) bulk(defaultIndex string, body []byte, q url.Values) (int, any, *esError) {
	if len(body) == 0 || body[len(body)-1] != '\n' {
		return 0, nil, errorf(http.StatusBadRequest, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
	}
	lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
	var items []any
	anyErrors := false
	for i := 0; i < len(lines); i++ {
		var action map[string]bulkMeta
		if err := json.Unmarshal(lines[i], &action); err != nil || len(action) != 1 {
			return 0, nil, errorf(http.StatusBadRequest, "illegal_argument_exception", "Malformed action/metadata line [%d], expected a simple value for field [_index] or an object with one action", i+1)
		}
		for kind, meta := range action {
			if meta.Index == "" {
				meta.Index = defaultIndex
			}
			var source []byte
			if kind != "delete" {
				if i+1 >= len(lines) {
					return 0, nil, errorf(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
				}
				i++
				source = lines[i]
			}
			item := c.bulkItem(kind, meta, source, q.Get("require_alias") == "true")
			if item["error"] != nil {
				anyErrors = true
			}
			items = append(items, map[string]any{kind: item})
		}
	}
	return http.StatusOK, map[string]any{"took": 1, "errors": anyErrors, "items": items}, nil
}

// bulkItem runs one action and returns its item.
func (c *cluster) bulkItem(kind string, meta bulkMeta, source []byte, requireAlias bool) map[string]any {
	idx, err := c.writeTarget(meta.Index, requireAlias)
	if err != nil {
		return itemError(meta.Index, meta.ID, err)
	}
	if f, ok := c.itemFaults[meta.ID]; ok {
		delete(c.itemFaults, meta.ID)
		return itemError(idx.name, meta.ID, &esError{status: f.status, errType: f.errType, reason: f.reason})
	}
	switch kind {
	case "index", "create":
		return c.indexDoc(idx, kind, meta, source)
	case "delete":
		return deleteDoc(idx, meta)
	}
	return itemError(idx.name, meta.ID, errorf(http.StatusBadRequest, "illegal_argument_exception", "estest: bulk action [%s] is not supported", kind))
}

// indexDoc stores one document, applying the version rules of its version_type.
func (c *cluster) indexDoc(idx *index, kind string, meta bulkMeta, source []byte) map[string]any {
	var fields map[string]any
	if err := json.Unmarshal(source, &fields); err != nil {
		return itemError(idx.name, meta.ID, errorf(http.StatusBadRequest, "document_parsing_exception", "[1:1] failed to parse: %v", err))
	}
	if f := strictViolation(idx, fields); f != "" {
		return itemError(idx.name, meta.ID, errorf(http.StatusBadRequest, "strict_dynamic_mapping_exception",
			"[1:2] mapping set to strict, dynamic introduction of [%s] within [_doc] is not allowed", f))
	}
	if meta.ID == "" {
		meta.ID = fmt.Sprintf("auto-%d", idx.seqNo+1)
	}
	old := idx.docs[meta.ID]
	version, err := nextVersion(kind, meta, old)
	if err != nil {
		return itemError(idx.name, meta.ID, err)
	}
	idx.seqNo++
	if old == nil {
		idx.order = append(idx.order, meta.ID)
	}
	idx.docs[meta.ID] = &document{id: meta.ID, source: append(json.RawMessage(nil), source...), fields: fields, version: version, seqNo: idx.seqNo}
	result, status := "created", http.StatusCreated
	if old != nil {
		result, status = "updated", http.StatusOK
	}
	return map[string]any{
		"_index": idx.name, "_id": meta.ID, "_version": version, "result": result,
		"_shards": map[string]any{"total": 2, "successful": 1, "failed": 0},
		"_seq_no": idx.seqNo, "_primary_term": 1, "status": status,
	}
}

// nextVersion is the version a write gets, or the conflict that refuses it.
func nextVersion(kind string, meta bulkMeta, old *document) (int64, *esError) {
	conflict := func(format string, args ...any) *esError {
		return errorf(http.StatusConflict, "version_conflict_engine_exception", "[%s]: version conflict, "+format, append([]any{meta.ID}, args...)...)
	}
	if kind == "create" && old != nil {
		return 0, conflict("document already exists (current version [%d])", old.version)
	}
	switch meta.VersionType {
	case "", "internal":
		if old == nil {
			return 1, nil
		}
		return old.version + 1, nil
	case "external", "external_gte":
		if meta.Version == nil || *meta.Version < 0 {
			return 0, errorf(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: illegal version value [-1] for version type [%s];", meta.VersionType)
		}
		v := *meta.Version
		if old != nil && meta.VersionType == "external" && v <= old.version {
			return 0, conflict("current version [%d] is higher or equal to the one provided [%d]", old.version, v)
		}
		if old != nil && v < old.version {
			return 0, conflict("current version [%d] is higher than the one provided [%d]", old.version, v)
		}
		return v, nil
	}
	return 0, errorf(http.StatusBadRequest, "illegal_argument_exception", "No version type match [%s]", meta.VersionType)
}

// deleteDoc removes one document.
func deleteDoc(idx *index, meta bulkMeta) map[string]any {
	old := idx.docs[meta.ID]
	result, status, version := "not_found", http.StatusNotFound, int64(1)
	if old != nil {
		delete(idx.docs, meta.ID)
		for i, id := range idx.order {
			if id == meta.ID {
				idx.order = append(idx.order[:i], idx.order[i+1:]...)
				break
			}
		}
		result, status, version = "deleted", http.StatusOK, old.version+1
	}
	idx.seqNo++
	return map[string]any{"_index": idx.name, "_id": meta.ID, "_version": version, "result": result,
		"_shards": map[string]any{"total": 2, "successful": 1, "failed": 0}, "_seq_no": idx.seqNo, "_primary_term": 1, "status": status}
}

// itemError is a failed bulk item.
func itemError(indexName, id string, err *esError) map[string]any {
	cause := err.cause()
	if _, ok := cause["index"]; !ok {
		cause["index"], cause["index_uuid"], cause["shard"] = indexName, "_na_", "0"
	}
	return map[string]any{"_index": indexName, "_id": id, "status": err.status, "error": cause}
}

// writeTarget is the index a write to name goes to: the index itself, or the single index of
// an alias. A missing target is created with dynamic mappings, as Elasticsearch does, unless
// require_alias is set.
func (c *cluster) writeTarget(name string, requireAlias bool) (*index, *esError) {
	if requireAlias && c.aliases[name] == nil {
		e := errorf(http.StatusNotFound, "index_not_found_exception",
			"no such index [%s] and [require_alias] request flag is [true] and [%s] is not an alias", name, name)
		e.extra = map[string]any{"index": name, "index_uuid": "_na_"}
		return nil, e
	}
	idx, err := c.lookupWrite(name)
	if err == nil || err.status != http.StatusNotFound {
		return idx, err
	}
	if err := c.checkNewName(name); err != nil {
		return nil, err
	}
	idx, _ = c.newIndex(name, nil, nil)
	c.indexes[name] = idx
	return idx, nil
}

// lookupWrite finds the index for name: the index, or the single index of an alias.
func (c *cluster) lookupWrite(name string) (*index, *esError) {
	if members := c.aliases[name]; members != nil {
		if len(members) != 1 {
			return nil, errorf(http.StatusBadRequest, "illegal_argument_exception",
				"no write index is defined for alias [%s]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index", name)
		}
		for n := range members {
			return c.indexes[n], nil
		}
	}
	if idx := c.indexes[name]; idx != nil {
		return idx, nil
	}
	return nil, indexNotFound(name)
}
