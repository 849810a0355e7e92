package api

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// Every list endpoint answers with the one envelope, list, and reads its page with the one
// parser, listQuery: ?limit= (1..maxPageSize, default defaultPageSize) and ?cursor= (opaque,
// from the previous page's next_cursor).
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// list is the body of every list response. NextCursor is null on the last page, never
// omitted, so a client's loop condition is the same field on every page.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// listOf wraps a page of items in the envelope; a nil page is an empty list, not null.
func listOf[T any](items []T, next *string) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, NextCursor: next}
}

// page is the paging part of a list request.
type page struct {
	Limit  int
	Cursor string
}

// listQuery reads a list's query: its filters (returned by name) and the paging parameters.
// Unknown, repeated or malformed parameters are a 400 naming the parameter.
func listQuery(c *gin.Context, filters ...string) (map[string]string, page, error) {
	q, err := singleQueryValues(c, append(filters, "limit", "cursor")...)
	if err != nil {
		return nil, page{}, err
	}
	p := page{Limit: defaultPageSize}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return nil, page{}, badParam("limit", "must be an integer from 1 to %d, got %q", maxPageSize, v)
		}
		p.Limit = n
	}
	if v, ok := q["cursor"]; ok {
		if v == "" {
			return nil, page{}, badParam("cursor", "must not be empty; omit it for the first page")
		}
		p.Cursor = v
	}
	delete(q, "limit")
	delete(q, "cursor")
	return q, p, nil
}

// pageOf cuts one page out of a list held whole in memory (categories, report days: short
// lists, read in one query). Its cursor is the offset of the next item, tied to scope (the
// list and its filters) so a cursor cannot be replayed against another list.
func pageOf[T any](all []T, p page, scope string) (list[T], error) {
	start := 0
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		s, off, ok := strings.Cut(string(raw), "@")
		n, convErr := strconv.Atoi(off)
		if err != nil || !ok || s != scope || convErr != nil || n < 0 {
			return list[T]{}, badParam("cursor", "is not a cursor this list gave out")
		}
		start = min(n, len(all))
	}
	end := min(start+p.Limit, len(all))
	var next *string
	if end < len(all) {
		c := base64.RawURLEncoding.EncodeToString([]byte(scope + "@" + strconv.Itoa(end)))
		next = &c
	}
	return listOf(all[start:end:end], next), nil
}
