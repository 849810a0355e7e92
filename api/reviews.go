package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/store"
)

// Reviews are plain text in JSON: Gin's JSON encoder escapes <, > and & (as \u003c ...), and
// every answer is application/json, so markup in a review reaches a browser only as the text
// a client chooses to put in a text node. Nothing here renders or sanitises HTML, so what the
// author typed comes back exactly, and inert. Rules and moderation: docs/REVIEWS.md.

func (s *Server) reviewRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.GET("/products/:id/reviews", s.listReviews)
	v1.POST("/products/:id/reviews", r.customer, s.idempotent, s.createReview)
	v1.GET("/products/:id/reviews/mine", r.customer, s.myReview)
	v1.PUT("/products/:id/reviews/:review_id", r.customer, s.editReview)
	v1.DELETE("/products/:id/reviews/:review_id", s.requireRole(store.RoleCustomer, store.RoleAdmin), s.deleteReview)
	v1.POST("/products/:id/reviews/:review_id/reply", r.seller, s.replyToReview)
	v1.PUT("/products/:id/reviews/:review_id/helpful", r.user, s.voteHelpful)
	v1.GET("/admin/reviews", r.admin, s.listReviewQueue)
	v1.POST("/admin/reviews/:id/decision", r.admin, s.decideReview)
}

// reviewRequest is the body of a new review and of an edit (which replaces all three fields);
// its limits, in characters, are the reviews table's too.
type reviewRequest struct {
	Rating int    `json:"rating" binding:"required,min=1,max=5"`
	Title  string `json:"title" binding:"required,max=200"`
	Body   string `json:"body" binding:"max=5000"`
}

// text validates the request beyond its tags: a title of spaces is no title.
func (r reviewRequest) text() (store.ReviewText, error) {
	title := strings.TrimSpace(r.Title)
	if title == "" {
		return store.ReviewText{}, fieldInvalid("title", "is required")
	}
	return store.ReviewText{Rating: r.Rating, Title: title, Body: strings.TrimSpace(r.Body)}, nil
}

// listReviews pages through a product's published reviews: ?sort=newest|highest|lowest|
// most_helpful, ?rating=1..5.
func (s *Server) listReviews(c *gin.Context) {
	productID, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	q, p, err := listQuery(c, "sort", "rating")
	if err != nil {
		s.fail(c, err)
		return
	}
	f := store.ReviewFilter{ProductID: productID, Sort: store.ReviewSortNewest, Limit: p.Limit, Cursor: p.Cursor}
	if v, ok := q["sort"]; ok {
		if !store.ValidReviewSort(v) {
			s.fail(c, badParam("sort", "must be one of newest, highest, lowest, most_helpful, got %q", v))
			return
		}
		f.Sort = v
	}
	if v, ok := q["rating"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			s.fail(c, badParam("rating", "must be an integer from 1 to 5, got %q", v))
			return
		}
		f.Rating = n
	}
	if _, err := s.visibleProduct(c, productID); err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.Store.ListProductReviews(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	for i := range page.Items {
		page.Items[i].ModerationReason, page.Items[i].ModeratedAt = nil, nil // for the author and admins
	}
	c.JSON(http.StatusOK, listOf(page.Items, page.NextCursor))
}

// visibleProduct is the product the path names if the caller may see it: drafts and archived
// products are not found for anyone but their seller and admins, as in getProduct.
func (s *Server) visibleProduct(c *gin.Context, id int64) (store.Product, error) {
	p, err := s.Store.ProductByID(c, id)
	if err != nil {
		return p, err
	}
	if claims, _ := claimsOf(c); p.Status != store.ProductActive && !canManage(claims, p) {
		return p, errs.E(errs.NotFound, "product not found")
	}
	return p, nil
}

// createReview records the caller's review of a product it bought; pending until an admin
// publishes it, unless SHOPFLOW_REVIEWS_AUTO_PUBLISH is on.
func (s *Server) createReview(c *gin.Context) {
	productID, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req reviewRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	text, err := req.text()
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.Store.CreateReview(c, store.NewReview{ProductID: productID, CustomerID: mustClaims(c).UserID(),
		AutoPublish: s.Config.ReviewsAutoPublish, ReviewText: text})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/products/%d/reviews/mine", productID))
	c.JSON(http.StatusCreated, r)
}

// myReview is the caller's review of the product in any status, with the moderation reason.
func (s *Server) myReview(c *gin.Context) {
	productID, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.Store.MyReview(c, productID, mustClaims(c).UserID())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// editReview replaces the caller's review; it goes back to pending unless reviews are
// auto-published.
func (s *Server) editReview(c *gin.Context) {
	productID, reviewID, ok := s.reviewPath(c)
	if !ok {
		return
	}
	var req reviewRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	text, err := req.text()
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.Store.EditReview(c, store.ReviewEdit{ProductID: productID, ReviewID: reviewID, CustomerID: mustClaims(c).UserID(),
		AutoPublish: s.Config.ReviewsAutoPublish, ReviewText: text})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// deleteReview deletes the caller's own review; an admin may delete any.
func (s *Server) deleteReview(c *gin.Context) {
	productID, reviewID, ok := s.reviewPath(c)
	if !ok {
		return
	}
	claims := mustClaims(c)
	if err := s.Store.DeleteReview(c, productID, reviewID, claims.UserID(), claims.Role == store.RoleAdmin); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type replyRequest struct {
	Body string `json:"body" binding:"required,max=5000"`
}

// replyToReview records the product's seller's one reply to a published review.
func (s *Server) replyToReview(c *gin.Context) {
	productID, reviewID, ok := s.reviewPath(c)
	if !ok {
		return
	}
	claims := mustClaims(c)
	if claims.SellerID == "" {
		s.fail(c, errNoStore())
		return
	}
	var req replyRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	body := strings.TrimSpace(req.Body)
	if body == "" {
		s.fail(c, fieldInvalid("body", "is required"))
		return
	}
	r, err := s.Store.ReplyToReview(c, productID, reviewID, claims.SellerID, body)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, r)
}

// voteHelpful records the caller's helpful vote on a published review; voting again changes
// nothing, so the PUT is idempotent.
func (s *Server) voteHelpful(c *gin.Context) {
	productID, reviewID, ok := s.reviewPath(c)
	if !ok {
		return
	}
	r, err := s.Store.VoteHelpful(c, productID, reviewID, mustClaims(c).UserID())
	if err != nil {
		s.fail(c, err)
		return
	}
	r.ModerationReason, r.ModeratedAt = nil, nil
	c.JSON(http.StatusOK, r)
}

// reviewPath reads the product and review ids of a review's path.
func (s *Server) reviewPath(c *gin.Context) (productID, reviewID int64, ok bool) {
	productID, err := pathInt64(c, "id")
	if err == nil {
		reviewID, err = pathInt64(c, "review_id")
	}
	if err != nil {
		s.fail(c, err)
		return 0, 0, false
	}
	return productID, reviewID, true
}

// listReviewQueue pages through reviews in one status (?status=, default pending), oldest
// first: the moderation queue.
func (s *Server) listReviewQueue(c *gin.Context) {
	q, p, err := listQuery(c, "status")
	if err != nil {
		s.fail(c, err)
		return
	}
	status := store.ReviewPending
	if v, ok := q["status"]; ok {
		switch v {
		case store.ReviewPending, store.ReviewPublished, store.ReviewRejected:
			status = v
		default:
			s.fail(c, badParam("status", "must be one of pending, published, rejected, got %q", v))
			return
		}
	}
	page, err := s.Store.ListReviewQueue(c, store.ReviewQueue{Status: status, Limit: p.Limit, Cursor: p.Cursor})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(page.Items, page.NextCursor))
}

type decisionRequest struct {
	Decision string `json:"decision" binding:"required,oneof=publish reject"`
	Reason   string `json:"reason" binding:"max=1000"`
}

// decideReview publishes or rejects a review; a rejection needs a reason, which its author
// sees.
func (s *Server) decideReview(c *gin.Context) {
	reviewID, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req decisionRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	reason := strings.TrimSpace(req.Reason)
	if req.Decision == store.DecisionReject && reason == "" {
		s.fail(c, fieldInvalid("reason", "is required to reject a review"))
		return
	}
	r, err := s.Store.ModerateReview(c, store.ReviewDecision{ReviewID: reviewID, AdminID: mustClaims(c).UserID(),
		Decision: req.Decision, Reason: reason})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}
