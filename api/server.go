// Package api is Shopflow's REST API (Gin): the router, middleware, one file per resource, and
// the one table mapping domain errors to HTTP status. Handlers validate, write what must be
// written in one transaction, start or signal workflows, and answer; they never do long work.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"shopflow/auth"
	"shopflow/config"
	"shopflow/errs"
	"shopflow/payment"
	"shopflow/ranking"
	"shopflow/recommend"
	"shopflow/report"
	"shopflow/search"
	"shopflow/store"
	"shopflow/tracing"
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
	Redis     redis.UniversalClient
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
	// Search answers GET /search and /search/suggest (search.Fallback over Elasticsearch, or
	// search/postgres); SearchCache keeps its answers briefly; nil caches nothing.
	Search      search.Searcher
	SearchCache *search.Cache
	// SearchJobs starts reindexes (workflows.Jobs in production).
	SearchJobs SearchJobs
	// FraudReviews decides orders waiting for a fraud review (workflows.Checkouts in production).
	FraudReviews FraudReviews
	// Announcer announces new promotions to opted-in customers (workflows.Promotions in production).
	Announcer PromotionAnnouncer
	// Recommendations serves product and customer recommendations; nil answers 503.
	Recommendations *recommend.Cache
	// Returns runs return requests; Refunds retries refunds and cancels placed orders;
	// DataRights runs customers' data exports and erasures (workflows.* in production).
	Returns    ReturnFlows
	Refunds    RefundFlows
	DataRights DataRightsFlows
	// TracerProvider, when set, makes each request a span (tracing.GinMiddleware); nil traces none.
	TracerProvider trace.TracerProvider
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
	// CancelOrder cancels and waits for the outcome (workflows.ErrCancelTooLate once placed,
	// workflows.ErrNoSaga when no saga runs).
	CancelOrder(ctx context.Context, orderID, reason string) (workflows.CancelOutcome, error)
	PaymentResult(ctx context.Context, orderID string, r workflows.PaymentResult) error
}

// Server holds the API's dependencies; its methods are the handlers.
type Server struct {
	Deps
	limiter *redis_rate.Limiter
	// rates is the general per-class rate limit (ratelimit.go).
	rates   *rateLimiter
	metrics *httpMetrics
	engine  *gin.Engine
	// ranks serves top sellers and seller ranks through the in-process cache.
	ranks       *ranking.Cache
	rankHeaders *rankHeaders
	// searchHeaders are the prepared header values of search answers.
	searchHeaders *searchHeaders
	// principals caches what the database says about a token's account and session, and
	// verified the access tokens whose signature was already checked (principals.go).
	principals *principals
	verified   *verifiedTokens
}

// New builds the Server and its router.
func New(d Deps) (*Server, error) {
	m, err := newHTTPMetrics(d.Registry)
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, limiter: redis_rate.NewLimiter(d.Redis), metrics: m}
	var db ranking.DB
	if d.Store != nil && d.Store.Pool != nil {
		db = d.Store.Pool
	}
	var rdb redis.UniversalClient
	if d.Redis != nil {
		rdb = d.Redis
	}
	s.ranks = ranking.NewCache(d.Config, rdb, db, d.Logger)
	s.principals = newPrincipals(d.Config.AuthCacheTTL, d.Store.PrincipalOf)
	s.verified = newVerifiedTokens(d.Tokens)
	s.rankHeaders = newRankHeaders()
	s.searchHeaders = newSearchHeaders(d.Config.SearchCacheTTL)
	s.rates = &rateLimiter{limiter: s.limiter, prefix: d.Config.RedisPrefix, perMin: map[routeClass]int{
		classAuth: d.Config.RateLimitAuth, classWrites: d.Config.RateLimitWrites, classReads: d.Config.RateLimitReads}}
	if d.Redis == nil {
		s.rates.limiter = nil
	}
	s.engine = s.routes()
	// Only the proxies named in config may say who the client is: trusting every peer (Gin's
	// default) lets any client pick its own address in X-Forwarded-For, and with it a fresh
	// rate-limit budget per request and a forged client_ip in the logs.
	if err := s.engine.SetTrustedProxies(trustedProxies(d.Config.TrustedProxies)); err != nil {
		return nil, fmt.Errorf("SHOPFLOW_TRUSTED_PROXIES: %w", err)
	}
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
	if s.TracerProvider != nil {
		// First, so the request id, the access log and every handler run inside the request's span.
		r.Use(tracing.GinMiddleware(s.TracerProvider, s.Config.ServiceName))
	}
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

	// Only the API authenticates: probes, scrapes and docs ignore Authorization, so a stale
	// header on a health check can never make a healthy process look dead.
	v1 := r.Group("/api/v1", s.authenticate, s.rateLimit)
	roles := roleChecks{
		customer:      s.requireRole(store.RoleCustomer),
		seller:        s.requireRole(store.RoleSeller),
		admin:         s.requireRole(store.RoleAdmin),
		sellerOrAdmin: s.requireRole(store.RoleSeller, store.RoleAdmin),
		anyone:        s.requireRole(),
		user:          s.requireRole(store.RoleCustomer, store.RoleSeller, store.RoleAdmin),
	}
	s.catalogRoutes(v1, roles)
	s.shoppingRoutes(v1, roles)
	s.operationsRoutes(v1, roles)
	s.pricingRoutes(v1, roles)
	s.fraudRoutes(v1, roles)
	s.marketingRoutes(v1, roles)
	s.reviewRoutes(v1, roles)
	s.recommendationRoutes(v1, roles)
	s.analyticsRoutes(v1, roles)
	s.returnRoutes(v1, roles)
	s.refundRoutes(v1, roles)
	s.auditRoutes(v1, roles)
	s.dataRightsRoutes(v1, roles)
	s.stockRoutes(v1, roles)
	return r
}

// roleChecks are the role middlewares routes are guarded with.
type roleChecks struct {
	customer, seller, admin, sellerOrAdmin, anyone gin.HandlerFunc
	// user is any person's account, not a machine client's API key.
	user gin.HandlerFunc
}

// catalogRoutes: accounts, categories, products and their stock, rankings.
func (s *Server) catalogRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.POST("/auth/register", s.register)
	v1.POST("/auth/login", s.login)
	v1.POST("/auth/refresh", s.refresh)
	v1.POST("/auth/logout", s.logout)
	v1.GET("/users/me", r.anyone, s.me)
	v1.POST("/users/me/password", r.user, s.changePassword)
	v1.GET("/admin/users", r.admin, s.listUsers)
	v1.PATCH("/admin/users/:id", r.admin, s.updateUser)
	v1.POST("/admin/users/:id/disable", r.admin, s.disableUser)
	v1.POST("/admin/users/:id/enable", r.admin, s.enableUser)

	v1.GET("/categories", s.listCategories)
	v1.POST("/categories", r.admin, s.idempotent, s.createCategory)
	v1.GET("/categories/:id", s.getCategory)
	v1.PATCH("/categories/:id", r.admin, s.updateCategory)
	v1.DELETE("/categories/:id", r.admin, s.deleteCategory)

	v1.GET("/products", s.listProducts)
	v1.POST("/products", r.sellerOrAdmin, s.idempotent, s.createProduct)
	v1.GET("/products/:id", s.getProduct)
	v1.PATCH("/products/:id", r.sellerOrAdmin, s.updateProduct)
	v1.DELETE("/products/:id", r.sellerOrAdmin, s.archiveProduct)
	v1.GET("/products/:id/inventory", r.sellerOrAdmin, s.getInventory)
	v1.PUT("/products/:id/inventory", r.sellerOrAdmin, s.putInventory)

	v1.GET("/search", s.searchProducts)
	v1.GET("/search/suggest", s.suggestProducts)
	v1.GET("/categories/:id/top-sellers", s.topSellers)
	v1.GET("/sellers/me/rank", r.seller, s.myRank)
	v1.GET("/sellers/:id/rank", r.admin, s.sellerRank)
}

// shoppingRoutes: cart, wishlist, checkout, orders and payments.
func (s *Server) shoppingRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.GET("/cart", r.customer, s.getCart)
	v1.DELETE("/cart", r.customer, s.clearCart)
	v1.PUT("/cart/items/:product_id", r.customer, s.putCartItem)
	v1.DELETE("/cart/items/:product_id", r.customer, s.deleteCartItem)

	v1.GET("/wishlist", r.customer, s.getWishlist)
	v1.PUT("/wishlist/items/:product_id", r.customer, s.putWishlistItem)
	v1.DELETE("/wishlist/items/:product_id", r.customer, s.deleteWishlistItem)

	v1.POST("/checkout", r.customer, s.checkout)
	v1.POST("/checkout/quote", r.customer, s.quote)
	v1.GET("/orders", r.anyone, s.listOrders)
	v1.GET("/orders/:id", r.anyone, s.getOrder)
	v1.POST("/orders/:id/cancel", s.requireRole(store.RoleCustomer, store.RoleAdmin), s.cancelOrder)
	v1.POST("/orders/:id/ship", r.sellerOrAdmin, s.shipOrder)
	v1.POST("/orders/:id/deliver", r.sellerOrAdmin, s.deliverOrder)
	v1.POST("/webhooks/stripe", s.stripeWebhook)
	if s.Sandbox != nil {
		v1.POST("/dev/payments/:intent_id/complete", s.completeSandboxPayment)
	}
}

// operationsRoutes: ingest, API keys, jobs, reports and notifications.
func (s *Server) operationsRoutes(v1 *gin.RouterGroup, r roleChecks) {
	ingester := s.requireRole(store.RoleAdmin, store.RoleIngest)
	v1.POST("/ingest/orders", ingester, s.ingestOrders)
	v1.POST("/ingest/batches", ingester, s.idempotent, s.submitBatch)
	v1.GET("/ingest/batches/:id", ingester, s.getBatch)
	v1.GET("/ingest/batches/:id/errors", ingester, s.getBatchErrors)
	v1.POST("/admin/api-keys", r.admin, s.idempotent, s.createAPIKey)
	v1.DELETE("/admin/api-keys/:id", r.admin, s.revokeAPIKey)

	v1.POST("/admin/jobs/top-sellers", r.admin, s.runTopSellers)
	v1.POST("/admin/jobs/daily-report", r.admin, s.runDailyReport)
	v1.POST("/admin/jobs/search-reindex", r.admin, s.reindexSearch)
	v1.GET("/reports", r.admin, s.listReports)
	v1.GET("/reports/:date/files/*name", r.admin, s.downloadReport)
	v1.GET("/sellers/me/reports", r.seller, s.mySellerReports)
	v1.GET("/sellers/me/reports/:date", r.seller, s.downloadMySellerReport)

	v1.GET("/notifications", r.anyone, s.listNotifications)
	v1.POST("/notifications/:id/read", r.anyone, s.readNotification)
	v1.GET("/sellers/me/notification-preferences", r.seller, s.getNotificationPreferences)
	v1.PUT("/sellers/me/notification-preferences", r.seller, s.putNotificationPreferences)
	v1.POST("/admin/notifications/files", r.admin, s.idempotent, s.submitNotificationFile)
	v1.GET("/admin/notifications/files/:id", r.admin, s.getNotificationFile)
}
