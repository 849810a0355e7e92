package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"shopflow/errs"
)

// Helpers every handler shares to read path and query parameters, PATCH bodies and to report
// a bad value. Their errors follow docs/API.md: a bad parameter is a 400 naming it in
// details.parameter; a body field breaking a rule is a 422 naming it in details.fields.

// pathInt64 reads a positive integer path parameter, or fails with a clear 400.
func pathInt64(c *gin.Context, name string) (int64, error) {
	v, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, badParam(name, "must be a positive integer, got %q", c.Param(name))
	}
	return v, nil
}

// pathUUID reads a UUID path parameter; what names the thing it identifies ("an order").
func pathUUID(c *gin.Context, name, what string) (string, error) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		return "", badParam(name, "must be %s id (a UUID), got %q", what, c.Param(name))
	}
	return id.String(), nil
}

// etagMatches applies If-None-Match: a list of entity tags, or *, compared weakly (RFC 9110).
func etagMatches(header []string, etag string) bool {
	for _, h := range header {
		for h != "" {
			var tag string
			tag, h, _ = strings.Cut(h, ",")
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// singleQueryValues returns the query parameters, failing on any not in allowed and on any
// given more than once, so a typo (?sellerid=) is an error rather than a silently ignored filter.
// Text Postgres cannot hold, and over-long values, are refused here for every query (text.go).
func singleQueryValues(c *gin.Context, allowed ...string) (map[string]string, error) {
	raw, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return nil, errs.Wrap(err, errs.Invalid, "the query string is malformed: %s", queryErrorText(err))
	}
	if err := checkQueryText(raw); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make(map[string]string, len(raw))
	for _, name := range names {
		if !slices.Contains(allowed, name) {
			return nil, badParam(name, "is not a parameter of this list; use one of: %s", strings.Join(allowed, ", "))
		}
		if len(raw[name]) > 1 {
			return nil, badParam(name, "is given more than once")
		}
		out[name] = raw[name][0]
	}
	return out, nil
}

// queryErrorText says what is wrong with a query string without repeating it whole.
func queryErrorText(err error) string {
	var esc url.EscapeError
	if errors.As(err, &esc) {
		return fmt.Sprintf("bad percent-escape %q", string(esc))
	}
	return "it cannot be parsed"
}

// positiveParam parses a query parameter holding a positive id.
func positiveParam(name, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, badParam(name, "must be a positive integer, got %q", v)
	}
	return n, nil
}

// badParam is a 400 for a path, query or header parameter, named in the message and in
// details.parameter.
func badParam(name, format string, args ...any) error {
	return errs.E(errs.Invalid, "%s %s", name, fmt.Sprintf(format, args...)).WithDetails("parameter", name)
}

// fieldInvalid is a 422 for one body field that breaks a rule, named in details.fields.
func fieldInvalid(field, problem string) error {
	return (&errs.Error{Code: errs.Unprocessable, Message: field + " " + problem}).
		WithDetails("fields", map[string]string{field: problem})
}

// errNoStore is the one answer to a seller-only action by an account without a seller store:
// the caller is authenticated but may not do this (403), and details.reason lets a client tell
// it apart from other refusals.
func errNoStore() error {
	return errs.E(errs.Forbidden, "this account has no store").WithDetails("reason", "no_store")
}

// optional is a field of a PATCH body: Set when the key was sent, Null when it was sent as null,
// so "leave unchanged" (absent) and "clear" (null) can be told apart.
type optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON records that the field was sent. A wrong type keeps json's own error, which the
// decoder then names with the field's path.
func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// Ptr is the sent value, or nil when the field was absent or null.
func (o optional[T]) Ptr() *T {
	if !o.Set || o.Null {
		return nil
	}
	v := o.Value
	return &v
}

// rejectNulls fails for the fields sent as null where null has no meaning; the message names
// the first by name, details.fields all of them.
func rejectNulls(nulls map[string]bool) error {
	var names []string
	for name, null := range nulls {
		if null {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	fields := map[string]string{}
	for _, n := range names {
		fields[n] = "must not be null"
	}
	slices.Sort(names)
	return (&errs.Error{Code: errs.Invalid, Message: names[0] + " must not be null"}).WithDetails("fields", fields)
}

// callerSeller is the caller's seller id, or the no-store 403 for an account without a store.
func (s *Server) callerSeller(c *gin.Context) (string, bool) {
	id := mustClaims(c).SellerID
	if id == "" {
		s.fail(c, errNoStore())
		return "", false
	}
	return id, true
}
