package api

import (
	"github.com/gin-gonic/gin"

	"shopflow/errs"
)

func (s *Server) notYet(c *gin.Context) { s.fail(c, errs.E(errs.NotFound, "not implemented yet")) }

func (s *Server) listCategories(c *gin.Context) { s.notYet(c) }
func (s *Server) createCategory(c *gin.Context) { s.notYet(c) }
func (s *Server) getCategory(c *gin.Context)    { s.notYet(c) }
func (s *Server) updateCategory(c *gin.Context) { s.notYet(c) }
func (s *Server) deleteCategory(c *gin.Context) { s.notYet(c) }
func (s *Server) listProducts(c *gin.Context)   { s.notYet(c) }
func (s *Server) createProduct(c *gin.Context)  { s.notYet(c) }
func (s *Server) getProduct(c *gin.Context)     { s.notYet(c) }
func (s *Server) updateProduct(c *gin.Context)  { s.notYet(c) }
func (s *Server) archiveProduct(c *gin.Context) { s.notYet(c) }
func (s *Server) getInventory(c *gin.Context)   { s.notYet(c) }
func (s *Server) putInventory(c *gin.Context)   { s.notYet(c) }
