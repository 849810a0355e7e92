package estest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
)

// aggContext is what aggregations are computed over.
type aggContext struct {
	all       []hit // every document of the searched indexes, for global
	indexes   []*index
	typedKeys bool
}

// evalAggs computes aggregations over docs. With typed_keys each result is named
// "<type>#<name>", which the typed client needs to decode it.
func evalAggs(specs map[string]json.RawMessage, docs, all []hit, indexes []*index, typedKeys bool) (map[string]any, *esError) {
	if specs == nil {
		return nil, nil
	}
	return aggContext{all: all, indexes: indexes, typedKeys: typedKeys}.eval(specs, docs)
}

func (c aggContext) eval(specs map[string]json.RawMessage, docs []hit) (map[string]any, *esError) {
	out := map[string]any{}
	for name, raw := range specs {
		var spec map[string]json.RawMessage
		if err := json.Unmarshal(raw, &spec); err != nil {
			return nil, errorf(http.StatusBadRequest, "parsing_exception", "estest: bad aggregation [%s]: %v", name, err)
		}
		sub := spec["aggregations"]
		if sub == nil {
			sub = spec["aggs"]
		}
		delete(spec, "aggregations")
		delete(spec, "aggs")
		delete(spec, "meta")
		if len(spec) != 1 {
			return nil, errorf(http.StatusBadRequest, "parsing_exception", "Expected one aggregation type in [%s]", name)
		}
		for kind, args := range spec {
			typ, result, err := c.one(kind, args, sub, docs)
			if err != nil {
				return nil, err
			}
			if c.typedKeys {
				name = typ + "#" + name
			}
			out[name] = result
		}
	}
	return out, nil
}

// one computes one aggregation and returns its typed-keys type and result.
func (c aggContext) one(kind string, args, sub json.RawMessage, docs []hit) (string, map[string]any, *esError) {
	switch kind {
	case "filter", "global":
		in := c.all
		if kind == "filter" {
			var err *esError
			if in, err = filterHits(docs, args); err != nil {
				return "", nil, err
			}
		}
		out, err := c.bucket(sub, in)
		return kind, out, err
	case "terms":
		return c.terms(args, sub, docs)
	case "range":
		out, err := c.ranges(args, sub, docs)
		return "range", out, err
	}
	return "", nil, errorf(http.StatusBadRequest, "parsing_exception", "estest: aggregation [%s] is not supported by the fake", kind)
}

// bucket is {"doc_count": n} plus the sub-aggregations over docs.
func (c aggContext) bucket(sub json.RawMessage, docs []hit) (map[string]any, *esError) {
	out := map[string]any{"doc_count": len(docs)}
	if len(sub) == 0 {
		return out, nil
	}
	var specs map[string]json.RawMessage
	if err := json.Unmarshal(sub, &specs); err != nil {
		return nil, errorf(http.StatusBadRequest, "parsing_exception", "estest: bad sub-aggregations: %v", err)
	}
	subs, err := c.eval(specs, docs)
	for k, v := range subs {
		out[k] = v
	}
	return out, err
}

// termsArgs are the terms aggregation's options the fake evaluates.
type termsArgs struct {
	Field   string          `json:"field"`
	Size    *int            `json:"size"`
	Include json.RawMessage `json:"include"`
	Exclude json.RawMessage `json:"exclude"`
}

// terms counts documents per value, most frequent first then by key, like the default order.
func (c aggContext) terms(raw, sub json.RawMessage, docs []hit) (string, map[string]any, *esError) {
	var a termsArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return "", nil, errorf(http.StatusBadRequest, "parsing_exception", "estest: bad terms: %v", err)
	}
	typ := c.fieldType(a.Field)
	if typ == "text" || typ == "search_as_you_type" {
		return "", nil, errorf(http.StatusBadRequest, "illegal_argument_exception",
			"Fielddata is disabled on [%s]. Text fields are not optimised for operations that require per-document field data", a.Field)
	}
	include, exclude := valueFilter(a.Include), valueFilter(a.Exclude)
	groups, keys := map[string][]hit{}, map[string]any{}
	for _, h := range docs {
		seen := map[string]bool{}
		for _, v := range fieldValues(h.doc.fields, a.Field) {
			k := text(v)
			if seen[k] || !include(k, true) || exclude(k, false) {
				continue
			}
			seen[k], keys[k] = true, v
			groups[k] = append(groups[k], h)
		}
	}
	order := make([]string, 0, len(groups))
	for k := range groups {
		order = append(order, k)
	}
	sort.Slice(order, func(i, j int) bool {
		if len(groups[order[i]]) != len(groups[order[j]]) {
			return len(groups[order[i]]) > len(groups[order[j]])
		}
		return order[i] < order[j]
	})
	size, other := 10, 0
	if a.Size != nil {
		size = *a.Size
	}
	buckets := []any{}
	for i, k := range order {
		if i >= size {
			other += len(groups[k])
			continue
		}
		b, err := c.bucket(sub, groups[k])
		if err != nil {
			return "", nil, err
		}
		setKey(b, keys[k])
		buckets = append(buckets, b)
	}
	return termsType(typ, keys), map[string]any{"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": buckets}, nil
}

// setKey writes a bucket's key as Elasticsearch does: booleans as 1/0 with key_as_string.
func setKey(b map[string]any, v any) {
	if t, ok := v.(bool); ok {
		b["key"], b["key_as_string"] = 0, "false"
		if t {
			b["key"], b["key_as_string"] = 1, "true"
		}
		return
	}
	b["key"] = v
}

// termsType is the typed-keys name of a terms result: sterms for strings, lterms for whole
// numbers and booleans, dterms for other numbers.
func termsType(mapped string, keys map[string]any) string {
	switch mapped {
	case "long", "integer", "short", "byte", "boolean", "date":
		return "lterms"
	case "double", "float", "half_float", "scaled_float":
		return "dterms"
	case "":
		for _, v := range keys {
			switch x := v.(type) {
			case bool:
				return "lterms"
			case float64:
				if x == float64(int64(x)) {
					return "lterms"
				}
				return "dterms"
			}
		}
	}
	return "sterms"
}

// valueFilter reads include/exclude: a Lucene regexp string (whole value), or a value list.
// The returned function reports whether a key is selected, ifUnset when nothing was given.
func valueFilter(raw json.RawMessage) func(key string, ifUnset bool) bool {
	var pattern string
	var list []string
	switch {
	case len(raw) == 0:
		return func(_ string, ifUnset bool) bool { return ifUnset }
	case json.Unmarshal(raw, &pattern) == nil:
		re, err := regexp.Compile("^(?:" + pattern + ")$")
		if err != nil {
			return func(string, bool) bool { return false }
		}
		return func(k string, _ bool) bool { return re.MatchString(k) }
	default:
		_ = json.Unmarshal(raw, &list)
		return func(k string, _ bool) bool { return slices.Contains(list, k) }
	}
}

// ranges counts documents per [from, to) range, in request order.
func (c aggContext) ranges(raw, sub json.RawMessage, docs []hit) (map[string]any, *esError) {
	var a struct {
		Field  string `json:"field"`
		Ranges []struct {
			From *float64 `json:"from"`
			To   *float64 `json:"to"`
			Key  string   `json:"key"`
		} `json:"ranges"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, errorf(http.StatusBadRequest, "parsing_exception", "estest: bad range: %v", err)
	}
	buckets := []any{}
	for _, r := range a.Ranges {
		var in []hit
		for _, h := range docs {
			if anyValue(h.doc, a.Field, func(v any) bool {
				f, ok := v.(float64)
				return ok && (r.From == nil || f >= *r.From) && (r.To == nil || f < *r.To)
			}) {
				in = append(in, h)
			}
		}
		b, err := c.bucket(sub, in)
		if err != nil {
			return nil, err
		}
		b["key"] = r.Key
		if r.Key == "" {
			b["key"] = rangeKey(r.From) + "-" + rangeKey(r.To)
		}
		if r.From != nil {
			b["from"] = *r.From
		}
		if r.To != nil {
			b["to"] = *r.To
		}
		buckets = append(buckets, b)
	}
	return map[string]any{"buckets": buckets}, nil
}

// rangeKey formats a range edge as Elasticsearch does in keys: "1000.0", or "*" when open.
func rangeKey(f *float64) string {
	if f == nil {
		return "*"
	}
	return strconv.FormatFloat(*f, 'f', 1, 64)
}

// fieldType is a field's mapped type in the first searched index that maps it.
func (c aggContext) fieldType(field string) string {
	for _, idx := range c.indexes {
		if t := fieldType(idx.properties, field); t != "" {
			return t
		}
	}
	return ""
}
