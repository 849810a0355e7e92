// Package api is Shopflow's REST API (Gin): the router, middleware, one file per resource, and
// the one table mapping domain errors to HTTP status. Handlers validate, write what must be
// written in one transaction, start or signal workflows, and answer; they never do long work.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"shopflow/auth"
	"shopflow/config"
	"shopflow/errs"
	"shopflow/payment"
	"shopflow/report"
	"shopflow/store"
	"shopflow/workflows"
)

// Check is one dependency probed by /readyz.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
}

// Deps is everything the API needs, passed in by cmd/shopflow.
type Deps struct {
	Config    config.Config
	Store     *store.Store
	Redis     *redis.Client
	Tokens    *auth.Tokens
	Passwords *auth.Passwords
	Logger    *slog.Logger
	// Registry receives the API's metrics and is served at /metrics; it may also hold others'
	// (the Temporal SDK's), so one scrape sees the whole process.
	Registry *prometheus.Registry
	// Checks are probed by /readyz: pass Postgres, Redis, Temporal.
	Checks []Check
	// Checkouts starts and steers checkout sagas (workflows.Checkouts in production).
	Checkouts CheckoutSagas
	// Sandbox is set when the sandbox payment provider is in use and dev endpoints are on; it
	// backs POST /api/v1/dev/payments/{intent_id}/complete.
	Sandbox *payment.Sandbox
	// Batches starts batch ingest workflows (workflows.Ingests in production).
	Batches BatchIngests
	// Jobs runs scheduled jobs on demand (workflows.Jobs in production).
	Jobs Jobs
	// Reports runs daily reports on demand (workflows.ReportJobs in production).
	Reports ReportJobs
	// ReportFiles reads published report files.
	ReportFiles report.Storage
}

// ReportJobs runs the daily report job on demand.
type ReportJobs interface {
	// TriggerDailyReport (re)builds the reports of one day and returns the run's workflow ID.
	TriggerDailyReport(ctx context.Context, day time.Time) (string, error)
}

// BatchIngests is what the API needs of the batch ingest workflow.
type BatchIngests interface {
	// Start starts (or finds running) the ingest of a registered batch.
	Start(ctx context.Context, batchID string) error
}

// Jobs runs scheduled jobs now, as an admin asks.
type Jobs interface {
	// TriggerTopSellers runs the top-sellers ranking for the current hour and returns the run's workflow ID.
	TriggerTopSellers(ctx context.Context) (string, error)
}

// CheckoutSagas is what the API needs of the checkout workflow.
type CheckoutSagas interface {
	Start(ctx context.Context, orderID, customerID string) error
	Cancel(ctx context.Context, orderID, reason string) error
	PaymentResult(ctx context.Context, orderID string, r workflows.PaymentResult) error
}

// Server holds the API's dependencies; its methods are the handlers.
type Server struct {
	Deps
	limiter *redis_rate.Limiter
	metrics *httpMetrics
	engine  *gin.Engine
	ranks   *rankCache
}

// New builds the Server and its router.
func New(d Deps) (*Server, error) {
	m, err := newHTTPMetrics(d.Registry)
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, limiter: redis_rate.NewLimiter(d.Redis), metrics: m}
	s.ranks = newRankCache(d)
	s.engine = s.routes()
	return s, nil
}

// Handler is the http.Handler serving the whole API.
func (s *Server) Handler() http.Handler { return s.engine }

// Routes lists the registered method and path pairs (Gin syntax), for the OpenAPI coverage test.
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }

func (s *Server) routes() *gin.Engine {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	r.Use(withRequestID, s.accessLog, s.recoverPanics, s.limitBody)
	r.NoRoute(func(c *gin.Context) {
		s.fail(c, errs.E(errs.NotFound, "no route %s %s", c.Request.Method, c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, ErrorBody{Error: ErrorDetail{
			Code: "method_not_allowed", Message: "method " + c.Request.Method + " is not allowed here"}})
	})

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(s.metricsHandler()))
	r.GET("/openapi.yaml", s.openAPIDocument)
	r.GET("/docs", s.swaggerUI)
	r.GET("/docs/*file", s.swaggerUI)

	customer := s.requireRole(store.RoleCustomer)
	seller := s.requireRole(store.RoleSeller)
	admin := s.requireRole(store.RoleAdmin)
	sellerOrAdmin := s.requireRole(store.RoleSeller, store.RoleAdmin)
	anyone := s.requireRole()

	// Only the API authenticates: probes, scrapes and docs ignore Authorization, so a stale
	// header on a health check can never make a healthy process look dead.
	v1 := r.Group("/api/v1", s.authenticate)
	v1.POST("/auth/register", s.register)
	v1.POST("/auth/login", s.login)
	v1.GET("/users/me", anyone, s.me)

	v1.GET("/categories", s.listCategories)
	v1.POST("/categories", admin, s.idempotent, s.createCategory)
	v1.GET("/categories/:id", s.getCategory)
	v1.PATCH("/categories/:id", admin, s.updateCategory)
	v1.DELETE("/categories/:id", admin, s.deleteCategory)

	v1.GET("/products", s.listProducts)
	v1.POST("/products", sellerOrAdmin, s.idempotent, s.createProduct)
	v1.GET("/products/:id", s.getProduct)
	v1.PATCH("/products/:id", sellerOrAdmin, s.updateProduct)
	v1.DELETE("/products/:id", sellerOrAdmin, s.archiveProduct)
	v1.GET("/products/:id/inventory", sellerOrAdmin, s.getInventory)
	v1.PUT("/products/:id/inventory", sellerOrAdmin, s.putInventory)

	v1.GET("/cart", customer, s.getCart)
	v1.DELETE("/cart", customer, s.clearCart)
	v1.PUT("/cart/items/:product_id", customer, s.putCartItem)
	v1.DELETE("/cart/items/:product_id", customer, s.deleteCartItem)

	v1.GET("/wishlist", customer, s.getWishlist)
	v1.PUT("/wishlist/items/:product_id", customer, s.putWishlistItem)
	v1.DELETE("/wishlist/items/:product_id", customer, s.deleteWishlistItem)

	v1.POST("/checkout", customer, s.checkout)
	v1.GET("/orders", anyone, s.listOrders)
	v1.GET("/orders/:id", anyone, s.getOrder)
	v1.POST("/orders/:id/cancel", s.requireRole(store.RoleCustomer, store.RoleAdmin), s.cancelOrder)
	v1.POST("/orders/:id/ship", sellerOrAdmin, s.shipOrder)
	v1.POST("/orders/:id/deliver", sellerOrAdmin, s.deliverOrder)
	v1.POST("/webhooks/stripe", s.stripeWebhook)
	if s.Sandbox != nil {
		v1.POST("/dev/payments/:intent_id/complete", s.completeSandboxPayment)
	}

	ingester := s.requireRole(store.RoleAdmin, store.RoleIngest)
	v1.POST("/ingest/orders", ingester, s.ingestOrders)
	v1.POST("/ingest/batches", ingester, s.submitBatch)
	v1.GET("/ingest/batches/:id", ingester, s.getBatch)
	v1.GET("/ingest/batches/:id/errors", ingester, s.getBatchErrors)
	v1.POST("/admin/api-keys", admin, s.createAPIKey)
	v1.DELETE("/admin/api-keys/:id", admin, s.revokeAPIKey)

	v1.GET("/categories/:id/top-sellers", s.topSellers)
	v1.GET("/sellers/me/rank", seller, s.myRank)
	v1.GET("/sellers/:id/rank", admin, s.sellerRank)
	v1.POST("/admin/jobs/top-sellers", admin, s.runTopSellers)

	v1.POST("/admin/jobs/daily-report", admin, s.runDailyReport)
	v1.GET("/reports", admin, s.listReports)
	v1.GET("/reports/:date/files/*name", admin, s.downloadReport)
	v1.GET("/sellers/me/reports", seller, s.mySellerReports)
	v1.GET("/sellers/me/reports/:date", seller, s.downloadMySellerReport)

	v1.GET("/notifications", anyone, s.listNotifications)
	v1.POST("/notifications/:id/read", anyone, s.readNotification)
	v1.GET("/sellers/me/notification-preferences", seller, s.getNotificationPreferences)
	v1.PUT("/sellers/me/notification-preferences", seller, s.putNotificationPreferences)
	v1.POST("/admin/notifications/files", admin, s.submitNotificationFile)
	v1.GET("/admin/notifications/files/:id", admin, s.getNotificationFile)
	return r
}
