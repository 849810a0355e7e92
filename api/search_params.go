package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"shopflow/search"
)

// Limits of a search request: generous for people, small enough that no request is expensive.
const (
	maxSearchTextRunes   = 200
	maxSearchWords       = 12
	maxSearchFilterTerms = 50 // attribute values and filter= terms together
	maxAttributeKeyLen   = 64
	maxAttributeValueLen = 100
)

// attributeKey is what an attribute name may be: it names a JSON key of products' attributes.
var attributeKey = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// searchRequest is a parsed GET /search: the query, the page and what to include.
type searchRequest struct {
	Query           search.Query
	CategoryName    string // ?filter=category:Electronics, resolved to Query.CategoryID by name or slug
	IncludeTopSells bool
	scope           string // the query's fingerprint, which cursors are tied to
}

// searchParams are the parameters GET /search reads; attr.<name> comes on top.
var searchParams = []string{"q", "query", "category_id", "seller_id", "min_price", "max_price", "in_stock",
	"min_rating", "sort", "filter", "include", "limit", "cursor"}

// parseSearch reads GET /search's query string. Every problem is a 400 naming the parameter.
func parseSearch(c *gin.Context) (searchRequest, error) {
	raw, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return searchRequest{}, badParam("query string", "is malformed: %s", queryErrorText(err))
	}
	if err := checkQueryText(raw); err != nil {
		return searchRequest{}, err
	}
	var r searchRequest
	r.Query.Attributes = map[string][]string{}
	terms := 0
	for _, name := range sortedKeys(raw) {
		values := raw[name]
		if key, ok := strings.CutPrefix(name, "attr."); ok {
			if err := r.addAttribute(name, key, values, &terms); err != nil {
				return r, err
			}
			continue
		}
		if !slices.Contains(searchParams, name) {
			return r, badParam(name, "is not a search parameter; use one of: %s, or attr.<name>", strings.Join(searchParams, ", "))
		}
		if name == "filter" {
			for _, v := range values {
				terms++
				if terms > maxSearchFilterTerms {
					return r, badParam("filter", "holds more than %d filters", maxSearchFilterTerms)
				}
				if err := r.addFilter(v, &terms); err != nil {
					return r, err
				}
			}
			continue
		}
		if len(values) > 1 {
			return r, badParam(name, "is given more than once")
		}
		if err := r.set(name, values[0]); err != nil {
			return r, err
		}
	}
	return r, r.check(raw)
}

// set reads one single-valued parameter.
func (r *searchRequest) set(name, v string) error {
	q := &r.Query
	var err error
	switch name {
	case "q", "query":
		q.Text, err = searchText(name, v)
	case "category_id":
		q.CategoryID, err = positiveParam(name, v)
	case "seller_id":
		var id uuid.UUID
		if id, err = uuid.Parse(v); err != nil {
			return badParam(name, "must be a UUID, got %q", v)
		}
		q.SellerID = id.String()
	case "min_price":
		q.MinPrice, err = centsParam(name, v)
	case "max_price":
		q.MaxPrice, err = centsParam(name, v)
	case "in_stock":
		var b bool
		if b, err = strconv.ParseBool(v); err != nil {
			return badParam(name, "must be true or false, got %q", v)
		}
		q.InStock = &b
	case "min_rating":
		f, perr := strconv.ParseFloat(v, 64)
		if perr != nil || f < 1 || f > 5 {
			return badParam(name, "must be a number from 1 to 5, got %q", v)
		}
		q.MinRating = &f
	case "sort":
		if !slices.Contains(search.Sorts, v) {
			return badParam(name, "must be one of %s, got %q", strings.Join(search.Sorts, ", "), v)
		}
		q.Sort = v
	case "include":
		if v != "top_sellers" {
			return badParam(name, "must be top_sellers, got %q", v)
		}
		r.IncludeTopSells = true
	case "limit":
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > search.MaxPageSize {
			return badParam(name, "must be an integer from 1 to %d, got %q", search.MaxPageSize, v)
		}
		q.Limit = n
	case "cursor":
		// Read after every filter is known, in check.
	}
	return err
}

// addAttribute reads attr.<key>=v1,v2 (repeatable): the product's attribute equals any value.
func (r *searchRequest) addAttribute(name, key string, values []string, terms *int) error {
	if !attributeKey.MatchString(key) {
		return badParam(name, "must name an attribute of letters, digits, _ or - (at most %d), got %q", maxAttributeKeyLen, key)
	}
	for _, v := range values {
		for _, one := range strings.Split(v, ",") {
			one = strings.TrimSpace(one)
			if one == "" || utf8.RuneCountInString(one) > maxAttributeValueLen {
				return badParam(name, "values must be 1 to %d characters, comma-separated", maxAttributeValueLen)
			}
			*terms++
			if *terms > maxSearchFilterTerms {
				return badParam(name, "search takes at most %d filter values in all", maxSearchFilterTerms)
			}
			if !slices.Contains(r.Query.Attributes[key], one) {
				r.Query.Attributes[key] = append(r.Query.Attributes[key], one)
			}
		}
	}
	return nil
}

// addFilter reads the brief's form, filter=<name>:<value>: category (a name, slug or id),
// seller_id, in_stock, min_price, max_price, min_rating, or any attribute.
func (r *searchRequest) addFilter(v string, terms *int) error {
	name, value, ok := strings.Cut(v, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || value == "" {
		return badParam("filter", "must be name:value, e.g. category:Electronics or brand:Sony, got %q", v)
	}
	switch name {
	case "category":
		if id, err := strconv.ParseInt(value, 10, 64); err == nil && id > 0 {
			r.Query.CategoryID = id
			return nil
		}
		if utf8.RuneCountInString(value) > 120 {
			return badParam("filter", "category must be at most 120 characters")
		}
		r.CategoryName = value
		return nil
	case "seller_id", "in_stock", "min_price", "max_price", "min_rating":
		return r.set(name, value)
	}
	*terms-- // counted again, per value, as an attribute
	return r.addAttribute("filter", name, []string{value}, terms)
}

// check validates what spans parameters, then reads the cursor, which is tied to the rest.
func (r *searchRequest) check(raw url.Values) error {
	q := &r.Query
	if raw.Has("q") && raw.Has("query") {
		return badParam("query", "and q are the same parameter; give one")
	}
	if q.MinPrice != nil && q.MaxPrice != nil && *q.MinPrice > *q.MaxPrice {
		return badParam("min_price", "must not be above max_price")
	}
	if q.Limit == 0 {
		q.Limit = defaultPageSize
	}
	if q.Sort == "" {
		q.Sort = search.SortRelevance
		if q.Text == "" {
			q.Sort = search.SortNewest
		}
	}
	if len(q.Attributes) == 0 {
		q.Attributes = nil
	}
	for _, vs := range q.Attributes {
		slices.Sort(vs)
	}
	fp, _ := json.Marshal(struct {
		Q    search.Query
		Name string
	}{search.Query{Text: q.Text, CategoryID: q.CategoryID, SellerID: q.SellerID, MinPrice: q.MinPrice, MaxPrice: q.MaxPrice,
		InStock: q.InStock, Attributes: q.Attributes, MinRating: q.MinRating, Sort: q.Sort}, r.CategoryName})
	r.scope = search.Key(string(fp))
	if c := raw.Get("cursor"); raw.Has("cursor") {
		off, err := decodeSearchCursor(c, r.scope)
		if err != nil {
			return err
		}
		q.Offset = off
	}
	if q.Offset+q.Limit > search.MaxDepth {
		q.Limit = max(search.MaxDepth-q.Offset, 0)
	}
	return nil
}

// searchText checks what a shopper typed: bounded in length and words.
func searchText(name, v string) (string, error) {
	v = strings.TrimSpace(v)
	if utf8.RuneCountInString(v) > maxSearchTextRunes {
		return "", badParam(name, "must be at most %d characters", maxSearchTextRunes)
	}
	if len(strings.Fields(v)) > maxSearchWords {
		return "", badParam(name, "must be at most %d words", maxSearchWords)
	}
	return v, nil
}

func centsParam(name, v string) (*int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, badParam(name, "must be a non-negative integer amount in cents, got %q", v)
	}
	return &n, nil
}

// A search cursor is the offset of the next page, tied to the query's fingerprint.
func encodeSearchCursor(offset int, scope string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(scope + "@" + strconv.Itoa(offset)))
}

func decodeSearchCursor(cursor, scope string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	s, off, ok := strings.Cut(string(raw), "@")
	n, convErr := strconv.Atoi(off)
	if err != nil || !ok || convErr != nil || n < 0 || n >= search.MaxDepth {
		return 0, badParam("cursor", "is not a cursor this search gave out")
	}
	if s != scope {
		return 0, badParam("cursor", "was made for a search with other filters or another sort; start again without a cursor")
	}
	return n, nil
}

func sortedKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// categoryByName resolves ?filter=category:<name or slug>; unknown is a 400 naming the filter.
func (s *Server) categoryByName(ctx context.Context, name string) (int64, error) {
	id, err := s.Store.CategoryIDByName(ctx, name)
	if err != nil {
		return 0, err
	}
	if id == 0 {
		return 0, badParam("filter", "names no category: %q", name)
	}
	return id, nil
}
