package estest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// sortKey is one sort criterion.
type sortKey struct {
	field        string
	desc         bool
	missingFirst bool
}

// parseSorts reads "sort": a criterion or a list of them, each "field", {"field": "desc"} or
// {"field": {"order": "desc", "missing": "_first"}}.
func parseSorts(raw json.RawMessage) ([]sortKey, *esError) {
	if len(raw) == 0 {
		return nil, nil
	}
	var list []any
	if err := json.Unmarshal(raw, &list); err != nil {
		var one any
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, errorf(http.StatusBadRequest, "parsing_exception", "estest: bad sort: %v", err)
		}
		list = []any{one}
	}
	var out []sortKey
	for _, s := range list {
		switch x := s.(type) {
		case string:
			out = append(out, sortKey{field: x, desc: x == "_score"})
		case map[string]any:
			for field, spec := range x {
				k := sortKey{field: field, desc: field == "_score"}
				switch o := spec.(type) {
				case string:
					k.desc = o == "desc"
				case map[string]any:
					if order, ok := o["order"].(string); ok {
						k.desc = order == "desc"
					}
					k.missingFirst = o["missing"] == "_first"
				}
				out = append(out, k)
			}
		default:
			return nil, errorf(http.StatusBadRequest, "parsing_exception", "estest: bad sort element %v", s)
		}
	}
	return out, nil
}

// hasScoreSort reports whether hits are sorted by score, so scores are reported.
func hasScoreSort(sorts []sortKey) bool {
	for _, s := range sorts {
		if s.field == "_score" {
			return true
		}
	}
	return false
}

// valueOf is the document's sort value: for several values the smallest when ascending and
// the largest when descending, as Elasticsearch's default sort mode; booleans sort as 1 and 0.
func (k sortKey) valueOf(d *document) any {
	switch k.field {
	case "_score":
		return 1.0
	case "_doc":
		return float64(d.seqNo)
	}
	var best any
	for _, v := range fieldValues(d.fields, k.field) {
		if b, ok := v.(bool); ok {
			v = 0.0
			if b {
				v = 1.0
			}
		}
		if c, ok := compareValues(v, best); best == nil || (ok && (c < 0) != k.desc && c != 0) {
			best = v
		}
	}
	return best
}

// sortHits orders hits by the criteria; equal hits keep their order.
func sortHits(hits []hit, sorts []sortKey) {
	sort.SliceStable(hits, func(i, j int) bool {
		for _, k := range sorts {
			a, b := k.valueOf(hits[i].doc), k.valueOf(hits[j].doc)
			switch {
			case a == nil && b == nil:
				continue
			case a == nil:
				return k.missingFirst
			case b == nil:
				return !k.missingFirst
			}
			c, _ := compareValues(a, b)
			if c != 0 {
				return (c < 0) != k.desc
			}
		}
		return false
	})
}

// compareValues orders two values: numbers numerically, anything else by its text. ok is
// false when one is nil.
func compareValues(a, b any) (int, bool) {
	if a == nil || b == nil {
		return 0, false
	}
	fa, aNum := a.(float64)
	fb, bNum := b.(float64)
	if aNum && bNum {
		switch {
		case fa < fb:
			return -1, true
		case fa > fb:
			return 1, true
		}
		return 0, true
	}
	return strings.Compare(text(a), text(b)), true
}
