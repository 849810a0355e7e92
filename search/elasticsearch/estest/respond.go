package estest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// esError is an Elasticsearch error response.
type esError struct {
	status  int
	errType string
	reason  string
	extra   map[string]any // e.g. index, resource.type
}

// errorf builds an esError with a formatted reason.
func errorf(status int, errType, format string, args ...any) *esError {
	return &esError{status: status, errType: errType, reason: fmt.Sprintf(format, args...)}
}

// indexNotFound is Elasticsearch's answer for a missing index or alias.
func indexNotFound(name string) *esError {
	e := errorf(http.StatusNotFound, "index_not_found_exception", "no such index [%s]", name)
	e.extra = map[string]any{"resource.type": "index_or_alias", "resource.id": name, "index": name, "index_uuid": "_na_"}
	return e
}

// cause is the error object as it appears in "error", "root_cause" and bulk items.
func (e *esError) cause() map[string]any {
	m := map[string]any{"type": e.errType, "reason": e.reason}
	for k, v := range e.extra {
		m[k] = v
	}
	return m
}

// response is the whole error body: {"error":{"root_cause":[...],"type","reason"},"status"}.
func (e *esError) response() (int, any) {
	errObj := e.cause()
	errObj["root_cause"] = []any{e.cause()}
	return e.status, map[string]any{"error": errObj, "status": e.status}
}

// writeError answers with an Elasticsearch error body.
func writeError(w http.ResponseWriter, status int, errType, reason string) {
	code, body := (&esError{status: status, errType: errType, reason: reason}).response()
	writeJSON(w, code, body)
}

// writeJSON answers with body as JSON, and the product header without which the client
// refuses to talk to a cluster.
func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	if body == nil {
		w.WriteHeader(status)
		return
	}
	data, err := json.Marshal(body)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"error":"estest: cannot encode response","status":500}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// readBody reads the whole request body.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	defer r.Body.Close()
	return io.ReadAll(r.Body)
}

// acknowledged is the body of a successful index or alias change.
func acknowledged() map[string]any { return map[string]any{"acknowledged": true} }

// shards is the _shards block of a response on a one-shard index with an unassigned replica.
func shards() map[string]any {
	return map[string]any{"total": 2, "successful": 1, "skipped": 0, "failed": 0}
}
