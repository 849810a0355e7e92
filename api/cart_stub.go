package api

import "github.com/gin-gonic/gin"

func (s *Server) getCart(c *gin.Context)            { s.notYet(c) }
func (s *Server) clearCart(c *gin.Context)          { s.notYet(c) }
func (s *Server) putCartItem(c *gin.Context)        { s.notYet(c) }
func (s *Server) deleteCartItem(c *gin.Context)     { s.notYet(c) }
func (s *Server) getWishlist(c *gin.Context)        { s.notYet(c) }
func (s *Server) putWishlistItem(c *gin.Context)    { s.notYet(c) }
func (s *Server) deleteWishlistItem(c *gin.Context) { s.notYet(c) }
