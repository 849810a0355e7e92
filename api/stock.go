package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"shopflow/store"
)

// The stock ledger: why a product's stock is what it is (migrations/00019_stock_ledger.sql).

func (s *Server) stockRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.GET("/products/:id/inventory/movements", r.sellerOrAdmin, s.listStockMovements)
}

// listStockMovements pages through a product's stock movements, newest first, for its seller or
// an admin; ?kind= keeps one kind.
func (s *Server) listStockMovements(c *gin.Context) {
	q, pg, err := listQuery(c, "kind")
	if err != nil {
		s.fail(c, err)
		return
	}
	kind := q["kind"]
	if _, ok := q["kind"]; ok && !store.ValidMovementKind(kind) {
		s.fail(c, badParam("kind", "must be one of %s, got %q", strings.Join(store.MovementKinds, ", "), kind))
		return
	}
	p, ok := s.managedProduct(c)
	if !ok {
		return
	}
	page, err := s.Store.ListStockMovements(c, store.MovementFilter{ProductID: p.ID, Kind: kind, Limit: pg.Limit, Cursor: pg.Cursor})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(page.Items, page.NextCursor))
}
