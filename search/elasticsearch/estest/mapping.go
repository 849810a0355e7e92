package estest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// knownFieldType reports whether Elasticsearch 8 has a mapping type of this name.
func knownFieldType(typ string) bool {
	switch typ {
	case "text", "keyword", "constant_keyword", "wildcard", "match_only_text",
		"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long",
		"boolean", "date", "date_nanos", "flattened", "search_as_you_type", "completion",
		"object", "nested", "ip", "geo_point", "dense_vector":
		return true
	}
	return false
}

// builtinAnalyzer reports whether an index has this analyzer without defining it.
func builtinAnalyzer(name string) bool {
	switch name {
	case "standard", "simple", "whitespace", "stop", "keyword", "pattern", "fingerprint", "english":
		return true
	}
	return false
}

// analyzersOf lists the analyzers an index's settings define, under analysis or
// index.analysis.
func analyzersOf(settings json.RawMessage) map[string]bool {
	out := map[string]bool{}
	type analysis struct {
		Analyzer map[string]any `json:"analyzer"`
	}
	var s struct {
		Analysis analysis `json:"analysis"`
		Index    struct {
			Analysis analysis `json:"analysis"`
		} `json:"index"`
	}
	_ = json.Unmarshal(settings, &s)
	for k := range s.Analysis.Analyzer {
		out[k] = true
	}
	for k := range s.Index.Analysis.Analyzer {
		out[k] = true
	}
	return out
}

// checkProperties rejects unknown field types and undefined analyzers, in properties and
// their multi-fields, as Elasticsearch's mapper does.
func checkProperties(props map[string]any, analyzers map[string]bool) *esError {
	for name, raw := range props {
		p, _ := raw.(map[string]any)
		typ, _ := p["type"].(string)
		if typ == "" {
			typ = "object"
		}
		if !knownFieldType(typ) {
			return errorf(http.StatusBadRequest, "mapper_parsing_exception", "No handler for type [%s] declared on field [%s]", typ, name)
		}
		for _, key := range []string{"analyzer", "search_analyzer"} {
			if a, ok := p[key].(string); ok && !analyzers[a] && !builtinAnalyzer(a) {
				return errorf(http.StatusBadRequest, "mapper_parsing_exception", "analyzer [%s] has not been configured in mappings", a)
			}
		}
		for _, key := range []string{"properties", "fields"} {
			if sub, ok := p[key].(map[string]any); ok {
				if err := checkProperties(sub, analyzers); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fieldType is the mapped type of a field path such as "name.keyword", or "" if unmapped.
func fieldType(props map[string]any, path string) string {
	parts := strings.Split(path, ".")
	for i, part := range parts {
		p, _ := props[part].(map[string]any)
		if p == nil {
			return ""
		}
		typ, _ := p["type"].(string)
		if i == len(parts)-1 || typ == "flattened" {
			return typ
		}
		if fields, ok := p["fields"].(map[string]any); ok && fields[parts[i+1]] != nil {
			props = fields
		} else {
			props, _ = p["properties"].(map[string]any)
		}
	}
	return ""
}

// fieldValues returns a document's values at a field path, flattening arrays. A path into a
// multi-field ("name.keyword", "name.suggest._2gram") reads the field it is derived from; a
// path into an object or a flattened field ("attributes.colour") reads the nested value.
func fieldValues(doc map[string]any, path string) []any {
	if v, ok := doc[path]; ok {
		return flatten(v)
	}
	var cur any = doc
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			break // a multi-field: the value of the field it derives from
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return flatten(cur)
}

// flatten turns a JSON value into its list of values (an array's elements, null as none).
func flatten(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []any{v}
}

// text is a value's string form as terms compare it: JSON numbers without a trailing ".0".
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// strictViolation names a top-level field a strict mapping does not know, if any.
func strictViolation(idx *index, fields map[string]any) string {
	if !idx.strict {
		return ""
	}
	for k := range fields {
		if _, ok := idx.properties[k]; !ok {
			return k
		}
	}
	return ""
}
