package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"shopflow/auth"
	"shopflow/errs"
	"shopflow/store"
)

// maxSearchQueryLen bounds ?q=, in characters.
const maxSearchQueryLen = 200

// listProducts pages through the catalog. Anyone sees active products; other statuses are for
// admins, and for a seller looking at its own store (seller_id = its own id).
func (s *Server) listProducts(c *gin.Context) {
	f, err := productFilterOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if f.Status != store.ProductActive {
		claims, _ := claimsOf(c)
		own := claims.Role == store.RoleSeller && claims.SellerID != "" && f.SellerID == claims.SellerID
		if claims.Role != store.RoleAdmin && !own {
			s.fail(c, errs.E(errs.Forbidden, "status %s is visible only to admins, and to sellers listing their own products with seller_id", f.Status))
			return
		}
	}
	products, err := s.Store.ListProducts(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(products.Items, products.NextCursor))
}

// productFilterOf reads the list's query parameters; any unknown or malformed one is a 400
// naming it, and min_price above max_price is a 422.
func productFilterOf(c *gin.Context) (store.ProductFilter, error) {
	q, p, err := listQuery(c, "category_id", "seller_id", "min_price", "max_price", "in_stock", "status", "q", "sort")
	if err != nil {
		return store.ProductFilter{}, err
	}
	f := store.ProductFilter{Status: store.ProductActive, Sort: store.DefaultProductSort, Limit: p.Limit, Cursor: p.Cursor}
	if v, ok := q["category_id"]; ok {
		if f.CategoryID, err = positiveParam("category_id", v); err != nil {
			return f, err
		}
	}
	if v, ok := q["seller_id"]; ok {
		id, err := uuid.Parse(v)
		if err != nil {
			return f, badParam("seller_id", "must be a UUID, got %q", v)
		}
		f.SellerID = id.String()
	}
	for _, p := range []struct {
		name string
		dst  **int64
	}{{"min_price", &f.MinPrice}, {"max_price", &f.MaxPrice}} {
		v, ok := q[p.name]
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return f, badParam(p.name, "must be a non-negative integer amount in cents, got %q", v)
		}
		*p.dst = &n
	}
	if f.MinPrice != nil && f.MaxPrice != nil && *f.MinPrice > *f.MaxPrice {
		return f, fieldInvalid("min_price", "must not be above max_price")
	}
	if v, ok := q["in_stock"]; ok {
		switch v {
		case "true", "false":
			b := v == "true"
			f.InStock = &b
		default:
			return f, badParam("in_stock", "must be true or false, got %q", v)
		}
	}
	if v, ok := q["status"]; ok {
		switch v {
		case store.ProductDraft, store.ProductActive, store.ProductArchived:
			f.Status = v
		default:
			return f, badParam("status", "must be one of draft, active, archived, got %q", v)
		}
	}
	if v, ok := q["q"]; ok {
		v = strings.TrimSpace(v)
		if utf8.RuneCountInString(v) > maxSearchQueryLen {
			return f, badParam("q", "must be at most %d characters", maxSearchQueryLen)
		}
		f.Query = v
	}
	if v, ok := q["sort"]; ok {
		if !store.ValidProductSort(v) {
			return f, badParam("sort", "must be one of created_at, -created_at, price, -price, name, -name, got %q", v)
		}
		f.Sort = v
	}
	return f, nil
}

type createProductRequest struct {
	CategoryID        int64          `json:"category_id" binding:"required,gt=0"`
	Name              string         `json:"name" binding:"required,max=200"`
	Description       string         `json:"description" binding:"max=10000"`
	PriceCents        *int64         `json:"price_cents" binding:"required,gte=0,lte=100000000000"`
	Currency          string         `json:"currency" binding:"required,iso4217"`
	Attributes        map[string]any `json:"attributes" binding:"omitempty,max=50,dive,keys,min=1,max=100,endkeys"`
	Status            string         `json:"status" binding:"omitempty,oneof=draft active"`
	OnHand            *int           `json:"on_hand" binding:"omitnil,gte=0,lte=1000000000"`
	LowStockThreshold *int           `json:"low_stock_threshold" binding:"omitnil,gte=0,lte=1000000000"`
	SellerID          string         `json:"seller_id" binding:"omitempty,uuid"`
	WeightGrams       *int           `json:"weight_grams" binding:"omitnil,gte=0,lte=1000000"`
	TaxClass          *string        `json:"tax_class"`
}

// createProduct lists a new product with its stock. A seller creates for its own store; an admin
// names the store with seller_id.
func (s *Server) createProduct(c *gin.Context) {
	claims := mustClaims(c)
	var req createProductRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	sellerID, err := sellerForNewProduct(claims, req.SellerID)
	if err != nil {
		s.fail(c, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		s.fail(c, fieldInvalid("name", "is required"))
		return
	}
	if req.TaxClass != nil && !store.ValidTaxClass(*req.TaxClass) {
		s.fail(c, fieldInvalid("tax_class", taxClassRule))
		return
	}
	np := store.NewProduct{
		SellerID: sellerID, CategoryID: req.CategoryID, Name: req.Name, Description: req.Description,
		PriceCents: *req.PriceCents, Currency: req.Currency, Attributes: req.Attributes, Status: req.Status,
	}
	if req.WeightGrams != nil {
		np.WeightGrams = *req.WeightGrams
	}
	if req.TaxClass != nil {
		np.TaxClass = *req.TaxClass
	}
	if req.OnHand != nil {
		np.OnHand = *req.OnHand
	}
	if req.LowStockThreshold != nil {
		np.LowStockThreshold = *req.LowStockThreshold
	}
	p, err := s.Store.CreateProduct(c, np)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/products/%d", p.ID))
	c.JSON(http.StatusCreated, p)
}

// sellerForNewProduct decides whose store a new product belongs to.
func sellerForNewProduct(claims auth.Claims, requested string) (string, error) {
	switch claims.Role {
	case store.RoleAdmin:
		if requested == "" {
			return "", fieldInvalid("seller_id", "is required when an admin creates a product")
		}
		return strings.ToLower(requested), nil
	case store.RoleSeller:
		if claims.SellerID == "" {
			return "", errNoStore()
		}
		if requested != "" && !strings.EqualFold(requested, claims.SellerID) {
			return "", errs.E(errs.Forbidden, "sellers create products for their own store only")
		}
		return claims.SellerID, nil
	}
	return "", errs.E(errs.Forbidden, "only sellers and admins create products")
}

// getProduct returns a product. Drafts and archived products exist only for their seller and
// admins; anyone else gets the same 404 as for a product that never existed.
func (s *Server) getProduct(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.Store.ProductByID(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if p.Status != store.ProductActive {
		claims, _ := claimsOf(c)
		if !canManage(claims, p) {
			s.fail(c, errs.E(errs.NotFound, "product not found"))
			return
		}
	}
	c.JSON(http.StatusOK, p)
}

type updateProductRequest struct {
	CategoryID  optional[int64]          `json:"category_id"`
	Name        optional[string]         `json:"name"`
	Description optional[string]         `json:"description"`
	PriceCents  optional[int64]          `json:"price_cents"`
	Currency    optional[string]         `json:"currency"`
	Attributes  optional[map[string]any] `json:"attributes"`
	Status      optional[string]         `json:"status"`
	WeightGrams optional[int]            `json:"weight_grams"`
	TaxClass    optional[string]         `json:"tax_class"`
}

// productChanges is the validated form of updateProductRequest.
type productChanges struct {
	CategoryID  *int64         `json:"category_id" binding:"omitnil,gt=0"`
	Name        *string        `json:"name" binding:"omitnil,min=1,max=200"`
	Description *string        `json:"description" binding:"omitnil,max=10000"`
	PriceCents  *int64         `json:"price_cents" binding:"omitnil,gte=0,lte=100000000000"`
	Currency    *string        `json:"currency" binding:"omitnil,iso4217"`
	Attributes  map[string]any `json:"attributes" binding:"omitnil,max=50,dive,keys,min=1,max=100,endkeys"`
	Status      *string        `json:"status" binding:"omitnil,oneof=draft active archived"`
	WeightGrams *int           `json:"weight_grams" binding:"omitnil,gte=0,lte=1000000"`
	TaxClass    *string        `json:"tax_class"`
}

func (ch productChanges) empty() bool {
	return ch.CategoryID == nil && ch.Name == nil && ch.Description == nil && ch.PriceCents == nil &&
		ch.Currency == nil && ch.Attributes == nil && ch.Status == nil && ch.WeightGrams == nil && ch.TaxClass == nil
}

// updateProduct changes any of a product's fields; only its seller or an admin may.
func (s *Server) updateProduct(c *gin.Context) {
	p, ok := s.managedProduct(c)
	if !ok {
		return
	}
	var req updateProductRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := rejectNulls(map[string]bool{
		"category_id": req.CategoryID.Null, "name": req.Name.Null, "description": req.Description.Null,
		"price_cents": req.PriceCents.Null, "currency": req.Currency.Null, "attributes": req.Attributes.Null,
		"status": req.Status.Null, "weight_grams": req.WeightGrams.Null, "tax_class": req.TaxClass.Null,
	}); err != nil {
		s.fail(c, err)
		return
	}
	ch := productChanges{
		CategoryID: req.CategoryID.Ptr(), Name: req.Name.Ptr(), Description: req.Description.Ptr(),
		PriceCents: req.PriceCents.Ptr(), Currency: req.Currency.Ptr(), Status: req.Status.Ptr(),
		WeightGrams: req.WeightGrams.Ptr(), TaxClass: req.TaxClass.Ptr(),
	}
	if req.Attributes.Set {
		ch.Attributes = req.Attributes.Value
		if ch.Attributes == nil {
			ch.Attributes = map[string]any{}
		}
	}
	if ch.Name != nil {
		trimmed := strings.TrimSpace(*ch.Name)
		ch.Name = &trimmed
	}
	if err := validate(ch); err != nil {
		s.fail(c, err)
		return
	}
	if ch.TaxClass != nil && !store.ValidTaxClass(*ch.TaxClass) {
		s.fail(c, fieldInvalid("tax_class", taxClassRule))
		return
	}
	if ch.empty() {
		c.JSON(http.StatusOK, p) // nothing to change
		return
	}
	updated, err := s.Store.UpdateProduct(c, p.ID, store.ProductUpdate{
		CategoryID: ch.CategoryID, Name: ch.Name, Description: ch.Description, PriceCents: ch.PriceCents,
		Currency: ch.Currency, Attributes: ch.Attributes, Status: ch.Status,
		WeightGrams: ch.WeightGrams, TaxClass: ch.TaxClass,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, updated)
}

// archiveProduct takes a product off sale; it stays readable by its seller for order history.
func (s *Server) archiveProduct(c *gin.Context) {
	p, ok := s.managedProduct(c)
	if !ok {
		return
	}
	if err := s.Store.ArchiveProduct(c, p.ID); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// getInventory shows a product's stock to its seller or an admin.
func (s *Server) getInventory(c *gin.Context) {
	p, ok := s.managedProduct(c)
	if !ok {
		return
	}
	inv, err := s.Store.InventoryOf(c, p.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, inv)
}

type putInventoryRequest struct {
	OnHand            *int `json:"on_hand" binding:"required,gte=0,lte=1000000000"`
	LowStockThreshold *int `json:"low_stock_threshold" binding:"omitnil,gte=0,lte=1000000000"`
}

// putInventory sets the stock on hand after a count. It cannot go below what checkouts in
// progress have reserved (409 with details.reserved).
func (s *Server) putInventory(c *gin.Context) {
	p, ok := s.managedProduct(c)
	if !ok {
		return
	}
	var req putInventoryRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	inv, err := s.Store.SetInventory(c, p.ID, *req.OnHand, req.LowStockThreshold)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, inv)
}

// managedProduct loads the product named by the path for a route that changes it or shows its
// stock. It fails with 404 when the product does not exist, and when the caller is another
// seller with 403, or with 404 for a draft or archived product that caller cannot even see. A
// seller account without a store manages nothing: the no-store 403, before any lookup.
func (s *Server) managedProduct(c *gin.Context) (store.Product, bool) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return store.Product{}, false
	}
	if claims := mustClaims(c); claims.Role == store.RoleSeller && claims.SellerID == "" {
		s.fail(c, errNoStore())
		return store.Product{}, false
	}
	p, err := s.Store.ProductByID(store.ReadPrimary(c), id) // the seller may have just created it
	if err != nil {
		s.fail(c, err)
		return store.Product{}, false
	}
	if !canManage(mustClaims(c), p) {
		if p.Status != store.ProductActive { // not even visible to the caller: do not reveal it exists
			s.fail(c, errs.E(errs.NotFound, "product not found"))
		} else {
			s.fail(c, errs.E(errs.Forbidden, "product %d belongs to another seller", id))
		}
		return store.Product{}, false
	}
	return p, true
}

// canManage reports whether the caller may change p and see its drafts and stock.
func canManage(claims auth.Claims, p store.Product) bool {
	switch claims.Role {
	case store.RoleAdmin:
		return true
	case store.RoleSeller:
		return claims.SellerID != "" && claims.SellerID == p.SellerID
	}
	return false
}
