package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"shopflow/store"
)

// listCategories lists all categories, or the children of parent_id, by name.
func (s *Server) listCategories(c *gin.Context) {
	q, p, err := listQuery(c, "parent_id")
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
	scope := "categories"
	if parentID != nil {
		scope += "?parent_id=" + strconv.FormatInt(*parentID, 10)
	}
	l, err := pageOf(cats, p, scope)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
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
