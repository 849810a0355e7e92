package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// cartItemRequest sets a line's quantity. The bounds repeat store.MaxLineQuantity, which the
// store checks too; tags need literals.
type cartItemRequest struct {
	Quantity *int `json:"quantity" binding:"required,min=1,max=1000"`
}

// getCart returns the caller's own cart: the cart is found by the token's user, never by an id
// in the URL, so one customer cannot name another's.
func (s *Server) getCart(c *gin.Context) {
	cart, err := s.Store.CartOf(c, mustClaims(c).UserID())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cart)
}

// clearCart empties the caller's cart.
func (s *Server) clearCart(c *gin.Context) {
	cart, err := s.Store.ClearCart(c, mustClaims(c).UserID())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cart)
}

// putCartItem sets how many of a product the caller's cart holds. Price, stock and status
// come from the database at this moment; the client sends only the quantity.
func (s *Server) putCartItem(c *gin.Context) {
	productID, err := pathInt64(c, "product_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req cartItemRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	cart, err := s.Store.SetCartItem(c, mustClaims(c).UserID(), productID, *req.Quantity)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cart)
}

// deleteCartItem removes a product from the caller's cart; removing an absent one succeeds too.
func (s *Server) deleteCartItem(c *gin.Context) {
	productID, err := pathInt64(c, "product_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	cart, err := s.Store.RemoveCartItem(c, mustClaims(c).UserID(), productID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cart)
}
