package estest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// maxEdits is how far a word may be from its correction, as the suggesters' default.
const maxEdits = 2

// suggesterSpec is one named suggester of a "suggest" block.
type suggesterSpec struct {
	Text *string `json:"text"`
	Term *struct {
		Field string `json:"field"`
	} `json:"term"`
	Phrase *struct {
		Field string `json:"field"`
	} `json:"phrase"`
}

// evalSuggest answers the term and phrase suggesters. Corrections come from the words of the
// field in every document searched (suggesters ignore the query, as in Elasticsearch).
func evalSuggest(specs map[string]json.RawMessage, all []hit, typedKeys bool) (map[string]any, *esError) {
	var global string
	if raw, ok := specs["text"]; ok {
		_ = json.Unmarshal(raw, &global)
	}
	out := map[string]any{}
	for name, raw := range specs {
		if name == "text" {
			continue
		}
		var s suggesterSpec
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errorf(http.StatusBadRequest, "parsing_exception", "estest: bad suggester [%s]: %v", name, err)
		}
		input := global
		if s.Text != nil {
			input = *s.Text
		}
		key, result := "", any(nil)
		switch {
		case s.Phrase != nil:
			key, result = "phrase", phraseSuggestion(input, vocabulary(all, s.Phrase.Field))
		case s.Term != nil:
			key, result = "term", termSuggestions(input, vocabulary(all, s.Term.Field))
		default:
			return nil, errorf(http.StatusBadRequest, "parsing_exception", "estest: suggester [%s] is not supported by the fake", name)
		}
		if typedKeys {
			name = key + "#" + name
		}
		out[name] = result
	}
	return out, nil
}

// phraseSuggestion is one entry for the whole text, with the corrected text as the option
// when any word was corrected.
func phraseSuggestion(input string, vocab map[string]int) []any {
	words := tokens(input)
	changed := false
	for i, w := range words {
		if c := correction(w, vocab); c != "" {
			words[i], changed = c, true
		}
	}
	options := []any{}
	if changed {
		options = append(options, map[string]any{"text": strings.Join(words, " "), "score": 0.5})
	}
	return []any{map[string]any{"text": input, "offset": 0, "length": len(input), "options": options}}
}

// termSuggestions is one entry per word, with its correction as the option.
func termSuggestions(input string, vocab map[string]int) []any {
	var out []any
	offset := 0
	for _, w := range tokens(input) {
		at := offset
		if i := strings.Index(strings.ToLower(input[offset:]), w); i >= 0 {
			at += i
		}
		options := []any{}
		if c := correction(w, vocab); c != "" {
			options = append(options, map[string]any{"text": c, "score": 0.8, "freq": vocab[c]})
		}
		out = append(out, map[string]any{"text": w, "offset": at, "length": len(w), "options": options})
		offset = at + len(w)
	}
	return out
}

// vocabulary counts the documents each word of the field occurs in.
func vocabulary(all []hit, field string) map[string]int {
	out := map[string]int{}
	for _, h := range all {
		seen := map[string]bool{}
		for _, v := range fieldValues(h.doc.fields, field) {
			for _, w := range tokens(text(v)) {
				if !seen[w] {
					seen[w] = true
					out[w]++
				}
			}
		}
	}
	return out
}

// correction is the closest known word to an unknown one (fewest edits, then most frequent,
// then alphabetical), or "" when the word is known or nothing is close enough.
func correction(w string, vocab map[string]int) string {
	if vocab[w] > 0 {
		return ""
	}
	var candidates []string
	for v := range vocab {
		if editDistance(w, v) <= maxEdits {
			candidates = append(candidates, v)
		}
	}
	sort.Slice(candidates, func(i, j int) bool {
		a, b := candidates[i], candidates[j]
		if da, db := editDistance(w, a), editDistance(w, b); da != db {
			return da < db
		}
		if vocab[a] != vocab[b] {
			return vocab[a] > vocab[b]
		}
		return a < b
	})
	if len(candidates) == 0 {
		return ""
	}
	return candidates[0]
}

// editDistance is the Damerau-Levenshtein distance (a transposition is one edit, as for
// Elasticsearch's fuzzy matching), over runes.
func editDistance(a, b string) int {
	s, t := []rune(a), []rune(b)
	d := make([][]int, len(s)+1)
	for i := range d {
		d[i] = make([]int, len(t)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(s); i++ {
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(s)][len(t)]
}
