package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"shopflow/errs"
)

// Postgres stores text as UTF-8 and refuses NUL characters in text and in jsonb (and invalid
// UTF-8 anywhere): such a value reaching a query fails there, as a 500. JSON carries both
// happily (\u0000 is valid JSON, and Go's decoder quietly turns invalid UTF-8 into U+FFFD), so
// every request body and query string is checked here, once, before any handler sees it.

// maxQueryValueBytes bounds one query parameter's value: more than any filter, search or
// cursor needs, and small enough for any index the value may be compared with.
const maxQueryValueBytes = 1024

// textProblem says what makes s unstorable, or "" when Postgres can hold it.
func textProblem(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain NUL characters"
	case !utf8.ValidString(s):
		return "must be valid UTF-8 text"
	}
	return ""
}

// checkJSONText walks the JSON body's tokens and fails for the first string (object keys
// included) that Postgres could not hold, naming it by its JSON path. Malformed JSON is left
// to the decoder, which says what is wrong with it.
func checkJSONText(body []byte) error {
	if utf8.Valid(body) && !bytes.Contains(body, []byte(`\u0000`)) {
		return nil // the usual body: nothing to find, so no second parse
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var path jsonCursor
	start := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		end := dec.InputOffset()
		switch t := tok.(type) {
		case json.Delim:
			path.delim(t)
			start = end
			continue
		case string:
			problem := textProblem(t)
			if problem == "" && !utf8.Valid(body[start:end]) {
				problem = textProblem(string(body[start:end]))
			}
			if problem != "" {
				field := path.string(t)
				return (&errs.Error{Code: errs.Invalid, Message: field + " " + problem}).
					WithDetails("fields", map[string]string{field: problem})
			}
		}
		path.scalar(tok)
		start = end
	}
}

// jsonCursor tracks where a token stream is: the keys and indexes leading to the next token.
type jsonCursor struct {
	frames []jsonFrame
}

type jsonFrame struct {
	object    bool
	key       string
	index     int
	expectKey bool
}

func (p *jsonCursor) delim(d json.Delim) {
	switch d {
	case '{':
		p.frames = append(p.frames, jsonFrame{object: true, expectKey: true})
	case '[':
		p.frames = append(p.frames, jsonFrame{})
	default: // a closing delimiter ends a value of the enclosing frame
		p.frames = p.frames[:len(p.frames)-1]
		p.advance()
	}
}

// scalar moves past a key or a scalar value.
func (p *jsonCursor) scalar(tok json.Token) {
	if n := len(p.frames); n > 0 && p.frames[n-1].object && p.frames[n-1].expectKey {
		p.frames[n-1].key, _ = tok.(string)
		p.frames[n-1].expectKey = false
		return
	}
	p.advance()
}

func (p *jsonCursor) advance() {
	if n := len(p.frames); n > 0 {
		if p.frames[n-1].object {
			p.frames[n-1].expectKey = true
		} else {
			p.frames[n-1].index++
		}
	}
}

// string is the path of the token tok about to be consumed (a key names itself).
func (p *jsonCursor) string(tok string) string {
	var b strings.Builder
	for i, f := range p.frames {
		last := i == len(p.frames)-1
		switch {
		case f.object && last && f.expectKey:
			writeKey(&b, tok)
		case f.object:
			writeKey(&b, f.key)
		default:
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		}
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

// writeKey appends a key to a path; a key that is itself unstorable is shown quoted, escaped.
func writeKey(b *strings.Builder, key string) {
	if b.Len() > 0 {
		b.WriteByte('.')
	}
	if textProblem(key) != "" {
		key = strconv.Quote(strings.ToValidUTF8(key, "\uFFFD"))
	}
	b.WriteString(key)
}

// checkQueryText fails for the first query parameter whose name or value Postgres could not
// hold, or whose value is longer than maxQueryValueBytes, naming it.
func checkQueryText(values map[string][]string) error {
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		vs := values[name]
		if textProblem(name) != "" {
			return badParam(strconv.Quote(strings.ToValidUTF8(name, "\uFFFD")), "is not a parameter name: %s", textProblem(name))
		}
		for _, v := range vs {
			if p := textProblem(v); p != "" {
				return badParam(name, "%s", p)
			}
			if len(v) > maxQueryValueBytes {
				return badParam(name, "must be at most %d bytes long", maxQueryValueBytes)
			}
		}
	}
	return nil
}

// checkFileText fails for the first line of an uploaded text file (CSV or NDJSON) that holds
// text Postgres could not hold, naming the line (and, in NDJSON, the field) in the message and
// the file as the parameter.
func checkFileText(body []byte, ndjson bool) error {
	n := 0
	for line := range bytes.Lines(body) {
		n++
		if p := textProblem(string(line)); p != "" {
			return badParam("file", "line %d %s", n, p)
		}
		if !ndjson {
			continue
		}
		var e *errs.Error
		if err := checkJSONText(line); errors.As(err, &e) {
			return badParam("file", "line %d: %s", n, e.Message)
		}
	}
	return nil
}
