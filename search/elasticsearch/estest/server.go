// Package estest is a fake Elasticsearch 8 for tests: an httptest server that speaks the REST
// API the go-elasticsearch client uses, with responses shaped like Elasticsearch's, and enough
// state to run an engine end to end (indexes with their settings and mappings, aliases,
// externally versioned documents, refresh, count, atomic alias swaps).
//
// Search evaluates a documented subset honestly and rejects what it does not evaluate with a
// 400, so a test never passes on a query the fake silently ignored:
//   - queries: bool (must, filter, should, must_not, minimum_should_match), term, terms, ids,
//     range (gt, gte, lt, lte), exists, match_all, match_none, and the full-text queries
//     match, multi_match, match_bool_prefix and match_phrase as plain word matches: a query
//     word matches a field word that equals it case-insensitively (or, for bool_prefix, that
//     starts with the last query word); fuzziness, analyzers and scoring are not modelled
//     (every hit scores 1);
//   - sort on fields and _score, with missing _first/_last, from/size, track_total_hits,
//     post_filter, _source includes/excludes;
//   - aggregations: filter, global, terms (size, include/exclude regexp or values) and range;
//   - suggesters: term and phrase, correcting each word to the closest word (edit distance at
//     most 2) of the field's words in the searched indexes.
//
// Writes are visible to searches at once, as if every request refreshed.
package estest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is one node of a fake cluster. Nodes made with AddNode share the cluster's state,
// request log and faults, and can be closed one by one.
type Server struct {
	cluster *cluster
	http    *httptest.Server
	once    sync.Once
}

// Request is one request a node received.
type Request struct {
	Node   string // the node's URL
	Method string
	Path   string
	Query  string // raw query string
	Body   []byte
}

// JSON decodes the body as one JSON object, failing t if it is not.
func (r Request) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v\n%s", r.Method, r.Path, err, r.Body)
	}
	return m
}

// Lines decodes an NDJSON body (a bulk request) line by line, failing t on a bad line.
func (r Request) Lines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimRight(string(r.Body), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s %s: line is not a JSON object: %v\n%s", r.Method, r.Path, err, line)
		}
		out = append(out, m)
	}
	return out
}

// New starts a one-node fake cluster, closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	return newNode(t, newCluster())
}

// AddNode starts another node of s's cluster.
func (s *Server) AddNode(t testing.TB) *Server {
	t.Helper()
	return newNode(t, s.cluster)
}

func newNode(t testing.TB, c *cluster) *Server {
	s := &Server{cluster: c}
	s.http = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// URL is the node's base URL.
func (s *Server) URL() string { return s.http.URL }

// Close stops the node, as if it died: connections to it are refused from then on.
func (s *Server) Close() {
	s.once.Do(func() {
		s.http.CloseClientConnections()
		s.http.Close()
	})
}

// Requests returns every request the cluster's nodes received, in order.
func (s *Server) Requests() []Request {
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	return append([]Request(nil), s.cluster.log...)
}

// LastRequest returns the latest request with the method whose path ends with suffix.
func (s *Server) LastRequest(method, suffix string) (Request, bool) {
	reqs := s.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && strings.HasSuffix(reqs[i].Path, suffix) {
			return reqs[i], true
		}
	}
	return Request{}, false
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	s.cluster.log = nil
}

// FailNext answers the next n requests (to any node) with an Elasticsearch error of the given
// HTTP status, type and reason, e.g. 429 es_rejected_execution_exception.
func (s *Server) FailNext(n, status int, errType, reason string) {
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	s.cluster.failures = append(s.cluster.failures, fault{count: n, status: status, errType: errType, reason: reason})
}

// Delay makes every later request wait d before it is answered (0 stops delaying); the wait
// ends early when the client gives up.
func (s *Server) Delay(d time.Duration) {
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	s.cluster.delay = d
}

// FailBulkItem makes the next bulk action on document id fail with the given item status,
// type and reason (a partial bulk failure), e.g. 429 es_rejected_execution_exception.
func (s *Server) FailBulkItem(id string, status int, errType, reason string) {
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	s.cluster.itemFaults[id] = fault{count: 1, status: status, errType: errType, reason: reason}
}

// fault is an injected error.
type fault struct {
	count   int
	status  int
	errType string
	reason  string
}

// serve records the request, applies the faults and answers it.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "parse_exception", err.Error())
		return
	}
	req := Request{Node: s.http.URL, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body}
	c := s.cluster
	c.mu.Lock()
	c.log = append(c.log, req)
	delay := c.delay
	f, failed := c.nextFailure()
	c.mu.Unlock()
	if !wait(r.Context(), delay) {
		return
	}
	if failed {
		writeError(w, f.status, f.errType, f.reason)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	status, resp := c.route(req, r.URL.Query())
	writeJSON(w, status, resp)
}

// wait sleeps d unless ctx ends first, and reports whether it slept fully.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
