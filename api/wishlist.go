package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// wishlistItemRequest is the optional body of a wishlist PUT; without it the quantity is 1.
type wishlistItemRequest struct {
	Quantity *int `json:"quantity" binding:"omitempty,min=1,max=1000"`
}

// getWishlist returns the caller's own wishlist.
func (s *Server) getWishlist(c *gin.Context) {
	w, err := s.Store.WishlistOf(c, mustClaims(c).UserID())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, w)
}

// putWishlistItem puts a product on the caller's wishlist, or changes its quantity. The body is
// optional, so "heart this product" is a bare PUT.
func (s *Server) putWishlistItem(c *gin.Context) {
	productID, err := pathInt64(c, "product_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req wishlistItemRequest
	if hasBody(c) {
		if err := bindJSON(c, &req); err != nil {
			s.fail(c, err)
			return
		}
	}
	quantity := 1
	if req.Quantity != nil {
		quantity = *req.Quantity
	}
	w, err := s.Store.SetWishlistItem(c, mustClaims(c).UserID(), productID, quantity)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, w)
}

// deleteWishlistItem takes a product off the caller's wishlist; an absent one succeeds too.
func (s *Server) deleteWishlistItem(c *gin.Context) {
	productID, err := pathInt64(c, "product_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	w, err := s.Store.RemoveWishlistItem(c, mustClaims(c).UserID(), productID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, w)
}
