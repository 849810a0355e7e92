package estest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// cluster is the state the nodes share. Every field is guarded by mu.
type cluster struct {
	mu         sync.Mutex
	indexes    map[string]*index
	aliases    map[string]map[string]bool // alias -> its indexes
	log        []Request
	failures   []fault
	itemFaults map[string]fault // by document id
	delay      time.Duration
	uuids      int
}

// index is one physical index.
type index struct {
	name       string
	uuid       string
	settings   json.RawMessage
	mappings   json.RawMessage
	properties map[string]any // mappings.properties, decoded
	strict     bool           // mappings.dynamic is "strict"
	docs       map[string]*document
	order      []string // ids in the order they were first written, the _doc order
	seqNo      int64
}

// document is one stored document.
type document struct {
	id      string
	source  json.RawMessage
	fields  map[string]any
	version int64
	seqNo   int64
}

func newCluster() *cluster {
	return &cluster{indexes: map[string]*index{}, aliases: map[string]map[string]bool{}, itemFaults: map[string]fault{}}
}

// nextFailure takes one request's worth of the injected failures.
func (c *cluster) nextFailure() (fault, bool) {
	if len(c.failures) == 0 {
		return fault{}, false
	}
	f := c.failures[0]
	c.failures[0].count--
	if c.failures[0].count <= 0 {
		c.failures = c.failures[1:]
	}
	return f, true
}

// route answers one request; the caller holds mu.
func (c *cluster) route(r Request, q url.Values) (int, any) {
	parts := strings.FieldsFunc(r.Path, func(c rune) bool { return c == '/' })
	status, body, err := c.dispatch(r, parts, q)
	if err != nil {
		return err.response()
	}
	return status, body
}

// dispatch picks the API by method and path, as Elasticsearch's REST layer does.
func (c *cluster) dispatch(r Request, p []string, q url.Values) (int, any, *esError) {
	switch {
	case len(p) == 0 && (r.Method == http.MethodHead || r.Method == http.MethodGet):
		return c.info(r.Method)
	case len(p) == 1 && p[0] == "_bulk" && r.Method != http.MethodGet:
		return c.bulk("", r.Body, q)
	case len(p) == 1 && p[0] == "_aliases" && r.Method == http.MethodPost:
		return c.updateAliases(r.Body)
	case len(p) == 2 && p[0] == "_alias" && r.Method == http.MethodGet:
		return c.getAlias("_all", p[1])
	case len(p) == 1 && strings.HasPrefix(p[0], "_"):
		return c.onIndexes("_all", p[0], r, q)
	case len(p) == 1 && !strings.HasPrefix(p[0], "_"):
		return c.indexAPI(r.Method, p[0], r.Body)
	case len(p) == 2 && p[1] == "_bulk" && r.Method != http.MethodGet:
		return c.bulk(p[0], r.Body, q)
	case len(p) == 2:
		return c.onIndexes(p[0], p[1], r, q)
	case len(p) == 3 && p[1] == "_alias" && r.Method == http.MethodGet:
		return c.getAlias(p[0], p[2])
	case len(p) == 3 && p[1] == "_doc" && r.Method == http.MethodGet:
		return c.getDoc(p[0], p[2])
	}
	return noHandler(r)
}

// onIndexes runs a read API (_search, _count, _refresh) on the indexes expr names.
func (c *cluster) onIndexes(expr, api string, r Request, q url.Values) (int, any, *esError) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return noHandler(r)
	}
	indexes, err := c.resolve(expr)
	if err != nil {
		return 0, nil, err
	}
	switch api {
	case "_search":
		return c.search(indexes, r.Body, q.Get("typed_keys") == "true")
	case "_count":
		return c.count(indexes, r.Body)
	case "_refresh":
		return http.StatusOK, map[string]any{"_shards": shards()}, nil
	}
	return noHandler(r)
}

// noHandler is Elasticsearch's answer to an unknown endpoint.
func noHandler(r Request) (int, any, *esError) {
	return 0, nil, errorf(http.StatusBadRequest, "illegal_argument_exception",
		"no handler found for uri [%s] and method [%s]", r.Path, r.Method)
}

// info answers the root endpoint (HEAD is the client's Ping).
func (c *cluster) info(method string) (int, any, *esError) {
	if method == http.MethodHead {
		return http.StatusOK, nil, nil
	}
	return http.StatusOK, map[string]any{
		"name": "estest", "cluster_name": "estest", "cluster_uuid": "estest",
		"version": map[string]any{"number": "8.19.0", "build_flavor": "default", "lucene_version": "9.12.0"},
		"tagline": "You Know, for Search",
	}, nil
}

// resolve expands an index expression: comma-separated names of indexes or aliases, wildcards,
// or _all. Each concrete index appears once, in name order.
func (c *cluster) resolve(expr string) ([]*index, *esError) {
	seen := map[string]bool{}
	for _, name := range strings.Split(expr, ",") {
		switch {
		case name == "_all" || strings.Contains(name, "*"):
			pattern := strings.ReplaceAll(name, "_all", "*")
			for n := range c.indexes {
				if ok, _ := path.Match(pattern, n); ok {
					seen[n] = true
				}
			}
		case c.aliases[name] != nil:
			for n := range c.aliases[name] {
				seen[n] = true
			}
		case c.indexes[name] != nil:
			seen[name] = true
		default:
			return nil, indexNotFound(name)
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*index, len(names))
	for i, n := range names {
		out[i] = c.indexes[n]
	}
	return out, nil
}

// getDoc answers GET <index>/_doc/<id>.
func (c *cluster) getDoc(name, id string) (int, any, *esError) {
	idx, err := c.lookupWrite(name)
	if err != nil {
		return 0, nil, err
	}
	d := idx.docs[id]
	if d == nil {
		return http.StatusNotFound, map[string]any{"_index": idx.name, "_id": id, "found": false}, nil
	}
	return http.StatusOK, map[string]any{
		"_index": idx.name, "_id": id, "_version": d.version, "_seq_no": d.seqNo,
		"_primary_term": 1, "found": true, "_source": d.source,
	}, nil
}
