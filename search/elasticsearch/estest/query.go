package estest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// matches evaluates one query clause against a document.
func matches(q any, d *document) (bool, *esError) {
	clause, ok := q.(map[string]any)
	if !ok || len(clause) != 1 {
		return false, errorf(http.StatusBadRequest, "parsing_exception", "[_na] query malformed, must start with start_object")
	}
	for kind, body := range clause {
		args, _ := body.(map[string]any)
		switch kind {
		case "bool":
			return matchBool(args, d)
		case "match_all":
			return true, nil
		case "match_none":
			return false, nil
		case "term", "terms", "range", "exists", "ids":
			return matchExact(kind, args, d)
		case "match", "match_bool_prefix", "match_phrase", "match_phrase_prefix":
			field, opts := fieldArgs(args)
			return matchText(opts, []string{field}, kind, d), nil
		case "multi_match":
			return matchText(args, stringList(args["fields"]), "multi_match", d), nil
		}
		return false, errorf(http.StatusBadRequest, "parsing_exception", "estest: query [%s] is not supported by the fake", kind)
	}
	return false, nil
}

// matchBool applies must/filter (all), must_not (none) and should (at least
// minimum_should_match, which is 1 when nothing else is required, else 0).
func matchBool(args map[string]any, d *document) (bool, *esError) {
	for _, key := range []string{"must", "filter"} {
		for _, q := range clauses(args[key]) {
			if ok, err := matches(q, d); err != nil || !ok {
				return false, err
			}
		}
	}
	for _, q := range clauses(args["must_not"]) {
		if ok, err := matches(q, d); err != nil || ok {
			return false, err
		}
	}
	should := clauses(args["should"])
	need := 0
	if len(should) > 0 && len(clauses(args["must"]))+len(clauses(args["filter"])) == 0 {
		need = 1
	}
	if msm, ok := args["minimum_should_match"]; ok {
		need, _ = strconv.Atoi(text(msm))
	}
	got := 0
	for _, q := range should {
		ok, err := matches(q, d)
		if err != nil {
			return false, err
		}
		if ok {
			got++
		}
	}
	return got >= need, nil
}

// matchExact evaluates the term-level queries on raw values.
func matchExact(kind string, args map[string]any, d *document) (bool, *esError) {
	switch kind {
	case "exists":
		return len(fieldValues(d.fields, text(args["field"]))) > 0, nil
	case "ids":
		return slices.Contains(stringList(args["values"]), d.id), nil
	case "range":
		field, opts := fieldArgs(args)
		return anyValue(d, field, func(v any) bool { return inRange(v, opts) }), nil
	case "term":
		field, opts := fieldArgs(args)
		want := opts["value"]
		return anyValue(d, field, func(v any) bool { return text(v) == text(want) }), nil
	}
	for field, values := range args { // terms
		if field == "boost" || field == "_name" {
			continue
		}
		for _, want := range flatten(values) {
			if anyValue(d, field, func(v any) bool { return text(v) == text(want) }) {
				return true, nil
			}
		}
	}
	return false, nil
}

// fieldArgs splits {"field": {...options}} (or {"field": value}) into field and options.
func fieldArgs(args map[string]any) (string, map[string]any) {
	for field, v := range args {
		if field == "boost" || field == "_name" {
			continue
		}
		if opts, ok := v.(map[string]any); ok {
			return field, opts
		}
		return field, map[string]any{"value": v, "query": v}
	}
	return "", map[string]any{}
}

// anyValue reports whether any value of the field satisfies ok.
func anyValue(d *document, field string, ok func(any) bool) bool {
	for _, v := range fieldValues(d.fields, field) {
		if ok(v) {
			return true
		}
	}
	return false
}

// inRange compares numbers numerically and anything else (dates as RFC 3339) as strings.
func inRange(v any, opts map[string]any) bool {
	for op, bound := range opts {
		c, ok := compareValues(v, bound)
		if !ok {
			continue
		}
		switch {
		case op == "gte" && c < 0, op == "gt" && c <= 0, op == "lte" && c > 0, op == "lt" && c >= 0:
			return false
		}
	}
	return true
}

// matchText is the fake's full-text match: the query's words against the words of the fields
// (boosts like "name^3" ignored). Every word must match with operator "and", one with the
// default "or"; for the prefix query types the last word may be the start of a field word.
func matchText(args map[string]any, fields []string, kind string, d *document) bool {
	words := tokens(text(args["query"]))
	if len(words) == 0 {
		return false
	}
	var fieldWords []string
	for _, f := range fields {
		f, _, _ = strings.Cut(f, "^")
		for _, v := range fieldValues(d.fields, f) {
			fieldWords = append(fieldWords, tokens(text(v))...)
		}
	}
	if kind == "match_phrase" || kind == "match_phrase_prefix" || args["type"] == "phrase" {
		return strings.Contains(" "+strings.Join(fieldWords, " ")+" ", " "+strings.Join(words, " ")+" ")
	}
	prefix := kind == "match_bool_prefix" || args["type"] == "bool_prefix" || args["type"] == "phrase_prefix"
	all := strings.EqualFold(text(args["operator"]), "and")
	found := 0
	for i, w := range words {
		asPrefix := prefix && i == len(words)-1
		for _, fw := range fieldWords {
			if fw == w || (asPrefix && strings.HasPrefix(fw, w)) {
				found++
				break
			}
		}
	}
	if all {
		return found == len(words)
	}
	return found > 0
}

// tokens lowercases s and splits it into words of letters and digits.
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// clauses reads a clause or a list of clauses.
func clauses(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

// stringList reads a list of strings (or one string).
func stringList(v any) []string {
	var out []string
	for _, e := range flatten(v) {
		out = append(out, text(e))
	}
	return out
}
