package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/store"
)

type categoryList struct {
	Items []store.Category `json:"items"`
}

// listCategories lists all categories, or the children of parent_id.
func (s *Server) listCategories(c *gin.Context) {
	q, err := singleQueryValues(c, "parent_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var parentID *int64
	if v, ok := q["parent_id"]; ok {
		id, err := positiveParam("parent_id", v)
		if err != nil {
			s.fail(c, err)
			return
		}
		parentID = &id
	}
	cats, err := s.Store.Categories(c, parentID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if cats == nil {
		cats = []store.Category{}
	}
	c.JSON(http.StatusOK, categoryList{Items: cats})
}

type createCategoryRequest struct {
	Name     string `json:"name" binding:"required,max=120"`
	Slug     string `json:"slug" binding:"max=120"`
	ParentID *int64 `json:"parent_id" binding:"omitnil,gt=0"`
}

// createCategory adds a category; its slug is derived from the name unless given.
func (s *Server) createCategory(c *gin.Context) {
	var req createCategoryRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		s.fail(c, fieldInvalid("name", "is required"))
		return
	}
	if req.Slug != "" && !store.ValidSlug(req.Slug) {
		s.fail(c, fieldInvalid("slug", "must be lower-case letters, digits and single dashes"))
		return
	}
	cat, err := s.Store.CreateCategory(c, store.NewCategory{Name: req.Name, Slug: req.Slug, ParentID: req.ParentID})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/categories/%d", cat.ID))
	c.JSON(http.StatusCreated, cat)
}

// getCategory returns one category.
func (s *Server) getCategory(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	cat, err := s.Store.CategoryByID(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cat)
}

type updateCategoryRequest struct {
	Name     optional[string] `json:"name"`
	Slug     optional[string] `json:"slug"`
	ParentID optional[int64]  `json:"parent_id"`
}

// categoryChanges is the validated form of updateCategoryRequest.
type categoryChanges struct {
	Name     *string `json:"name" binding:"omitnil,min=1,max=120"`
	Slug     *string `json:"slug" binding:"omitnil,max=120"`
	ParentID *int64  `json:"parent_id" binding:"omitnil,gt=0"`
}

// updateCategory renames or moves a category; parent_id null makes it a root.
func (s *Server) updateCategory(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req updateCategoryRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := rejectNulls(map[string]bool{"name": req.Name.Null, "slug": req.Slug.Null}); err != nil {
		s.fail(c, err)
		return
	}
	ch := categoryChanges{Name: req.Name.Ptr(), Slug: req.Slug.Ptr(), ParentID: req.ParentID.Ptr()}
	if ch.Name != nil {
		trimmed := strings.TrimSpace(*ch.Name)
		ch.Name = &trimmed
	}
	if err := validate(ch); err != nil {
		s.fail(c, err)
		return
	}
	if ch.Slug != nil && !store.ValidSlug(*ch.Slug) {
		s.fail(c, fieldInvalid("slug", "must be lower-case letters, digits and single dashes"))
		return
	}
	cat, err := s.Store.UpdateCategory(c, id, store.CategoryUpdate{
		Name: ch.Name, Slug: ch.Slug, SetParent: req.ParentID.Set, ParentID: ch.ParentID,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cat)
}

// deleteCategory removes an empty category: one with no subcategories and no products.
func (s *Server) deleteCategory(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Store.DeleteCategory(c, id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
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

// rejectNulls fails for the first field (by name) sent as null where null has no meaning.
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

// fieldInvalid is a 422 for one field that breaks a rule.
func fieldInvalid(field, problem string) error {
	return (&errs.Error{Code: errs.Unprocessable, Message: field + " " + problem}).
		WithDetails("fields", map[string]string{field: problem})
}

// badParam is a 400 for a query parameter, named in the message and in details.parameter.
func badParam(name, format string, args ...any) error {
	return errs.E(errs.Invalid, "%s %s", name, fmt.Sprintf(format, args...)).WithDetails("parameter", name)
}

// singleQueryValues returns the query parameters, failing on any not in allowed and on any
// given more than once, so a typo (?sellerid=) is an error rather than a silently ignored filter.
func singleQueryValues(c *gin.Context, allowed ...string) (map[string]string, error) {
	raw, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return nil, errs.Wrap(err, errs.Invalid, "the query string is malformed: %s", queryErrorText(err))
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
