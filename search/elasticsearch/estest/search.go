package estest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// searchBody is the part of the search DSL the fake understands; any other key is refused.
type searchBody struct {
	Query          json.RawMessage            `json:"query"`
	PostFilter     json.RawMessage            `json:"post_filter"`
	Aggregations   map[string]json.RawMessage `json:"aggregations"`
	Aggs           map[string]json.RawMessage `json:"aggs"`
	Sort           json.RawMessage            `json:"sort"`
	From           *int                       `json:"from"`
	Size           *int                       `json:"size"`
	TrackTotalHits json.RawMessage            `json:"track_total_hits"`
	Source         json.RawMessage            `json:"_source"`
	Suggest        map[string]json.RawMessage `json:"suggest"`
}

// hit is a matching document and the index it is in.
type hit struct {
	index string
	doc   *document
}

// search runs a search over indexes.
func (c *cluster) search(indexes []*index, body []byte, typedKeys bool) (int, any, *esError) {
	var b searchBody
	if err := decodeStrict(body, &b); err != nil {
		return 0, nil, err
	}
	all := allDocs(indexes)
	matched, err := filterHits(all, b.Query)
	if err != nil {
		return 0, nil, err
	}
	aggSpecs := b.Aggregations
	if aggSpecs == nil {
		aggSpecs = b.Aggs
	}
	aggs, err := evalAggs(aggSpecs, matched, all, indexes, typedKeys)
	if err != nil {
		return 0, nil, err
	}
	if matched, err = filterHits(matched, b.PostFilter); err != nil {
		return 0, nil, err
	}
	sorts, err := parseSorts(b.Sort)
	if err != nil {
		return 0, nil, err
	}
	sortHits(matched, sorts)
	hits, err := hitsBlock(matched, b, sorts)
	if err != nil {
		return 0, nil, err
	}
	resp := map[string]any{"took": 1, "timed_out": false, "_shards": shards(), "hits": hits}
	if aggs != nil {
		resp["aggregations"] = aggs
	}
	if b.Suggest != nil {
		s, err := evalSuggest(b.Suggest, all, typedKeys)
		if err != nil {
			return 0, nil, err
		}
		resp["suggest"] = s
	}
	return http.StatusOK, resp, nil
}

// count answers _count: how many documents of indexes match the optional query.
func (c *cluster) count(indexes []*index, body []byte) (int, any, *esError) {
	var b struct {
		Query json.RawMessage `json:"query"`
	}
	if err := decodeStrict(body, &b); err != nil {
		return 0, nil, err
	}
	matched, err := filterHits(allDocs(indexes), b.Query)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"count": len(matched), "_shards": shards()}, nil
}

// decodeStrict decodes a request body, refusing keys the fake does not know as Elasticsearch
// refuses keys it does not know.
func decodeStrict(body []byte, v any) *esError {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "parsing_exception", "estest: cannot parse request body: %v", err)
	}
	return nil
}

// allDocs lists the documents of indexes in index order, then write order.
func allDocs(indexes []*index) []hit {
	var out []hit
	for _, idx := range indexes {
		for _, id := range idx.order {
			out = append(out, hit{index: idx.name, doc: idx.docs[id]})
		}
	}
	return out
}

// filterHits keeps the hits the query matches; no query matches all.
func filterHits(hits []hit, raw json.RawMessage) ([]hit, *esError) {
	if len(raw) == 0 {
		return hits, nil
	}
	var q any
	if err := json.Unmarshal(raw, &q); err != nil {
		return nil, errorf(http.StatusBadRequest, "parsing_exception", "estest: bad query: %v", err)
	}
	var out []hit
	for _, h := range hits {
		ok, err := matches(q, h.doc)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, h)
		}
	}
	return out, nil
}

// hitsBlock builds "hits": the total as track_total_hits asks, and the page from/size selects.
func hitsBlock(matched []hit, b searchBody, sorts []sortKey) (map[string]any, *esError) {
	from, size := 0, 10
	if b.From != nil {
		from = *b.From
	}
	if b.Size != nil {
		size = *b.Size
	}
	if from < 0 || size < 0 {
		return nil, errorf(http.StatusBadRequest, "illegal_argument_exception", "[from] and [size] must not be negative")
	}
	if from+size > 10000 {
		return nil, errorf(http.StatusBadRequest, "illegal_argument_exception",
			"Result window is too large, from + size must be less than or equal to: [10000] but was [%d].", from+size)
	}
	scored := len(sorts) == 0 || hasScoreSort(sorts)
	page := []any{}
	for i := from; i < len(matched) && i < from+size; i++ {
		page = append(page, hitJSON(matched[i], b.Source, sorts, scored))
	}
	out := map[string]any{"hits": page, "max_score": nil}
	if scored && len(matched) > 0 {
		out["max_score"] = 1.0
	}
	if total := totalHits(len(matched), b.TrackTotalHits); total != nil {
		out["total"] = total
	}
	return out, nil
}

// totalHits counts up to the track_total_hits limit (10000 by default).
func totalHits(n int, track json.RawMessage) map[string]any {
	limit := 10000
	switch s := strings.TrimSpace(string(track)); s {
	case "":
	case "true":
		limit = -1
	case "false":
		return nil
	default:
		_ = json.Unmarshal(track, &limit)
	}
	if limit >= 0 && n > limit {
		return map[string]any{"value": limit, "relation": "gte"}
	}
	return map[string]any{"value": n, "relation": "eq"}
}

// hitJSON is one hit as Elasticsearch shows it.
func hitJSON(h hit, source json.RawMessage, sorts []sortKey, scored bool) map[string]any {
	out := map[string]any{"_index": h.index, "_id": h.doc.id, "_score": nil}
	if scored {
		out["_score"] = 1.0
	}
	if src := filterSource(h.doc, source); src != nil {
		out["_source"] = src
	}
	if len(sorts) > 0 {
		values := make([]any, len(sorts))
		for i, s := range sorts {
			values[i] = s.valueOf(h.doc)
		}
		out["sort"] = values
	}
	return out
}

// filterSource applies _source: false, a field list, or includes/excludes (top-level fields).
func filterSource(d *document, raw json.RawMessage) any {
	var spec struct {
		Includes []string `json:"includes"`
		Excludes []string `json:"excludes"`
	}
	switch s := strings.TrimSpace(string(raw)); {
	case s == "" || s == "true":
		return d.source
	case s == "false":
		return nil
	case strings.HasPrefix(s, "["):
		_ = json.Unmarshal(raw, &spec.Includes)
	case strings.HasPrefix(s, `"`):
		spec.Includes = []string{""}
		_ = json.Unmarshal(raw, &spec.Includes[0])
	default:
		_ = json.Unmarshal(raw, &spec)
	}
	out := map[string]any{}
	for k, v := range d.fields {
		if (len(spec.Includes) == 0 || slices.Contains(spec.Includes, k)) && !slices.Contains(spec.Excludes, k) {
			out[k] = v
		}
	}
	return out
}
