package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"shopflow/audit"
	"shopflow/auth"
	"shopflow/errs"
	"shopflow/ingest"
	"shopflow/store"
)

const (
	requestIDHeader = "X-Request-ID"
	ctxRequestID    = "shopflow.request_id"
	ctxClaims       = "shopflow.claims"
)

// A client-supplied request id is kept only if it is short and plain, so it is safe in logs.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// withRequestID gives every request an id, echoed in the response and in every log line.
func withRequestID(c *gin.Context) {
	id := c.GetHeader(requestIDHeader)
	if !validRequestID.MatchString(id) {
		id = uuid.NewString()
	}
	c.Set(ctxRequestID, id)
	c.Header(requestIDHeader, id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// quietRoutes are hot public reads (sized for a billion requests a day, and cached by CDNs in
// front): their successful requests are counted in the metrics like every other, but logged
// only at debug level, so the log is not a line per cache hit. Their errors are logged as usual.
var quietRoutes = map[string]bool{
	"/api/v1/categories/:id/top-sellers": true,
	"/api/v1/search":                     true,
	"/api/v1/search/suggest":             true,
}

// accessLog writes one structured line per request, and observes the request metrics.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	elapsed := time.Since(start)
	status := c.Writer.Status()
	s.metrics.observe(c.Request.Method, route, status, elapsed)
	if route == "/healthz" || route == "/readyz" || route == "/metrics" {
		return // probes and scrapes every few seconds would drown the log
	}
	level := logLevel(status)
	if level == slog.LevelInfo && quietRoutes[route] {
		level = slog.LevelDebug
	}
	ctx := c.Request.Context()
	if !s.Logger.Enabled(ctx, level) {
		return // before the attributes are gathered: a skipped line costs nothing
	}
	s.Logger.LogAttrs(ctx, level, "request",
		slog.String("request_id", requestID(c)),
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
		slog.String("client_ip", c.ClientIP()),
		slog.Int("bytes", c.Writer.Size()),
	)
}

// recoverPanics turns a handler panic into a logged 500 in the standard error shape.
func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.fail(c, errs.Wrap(panicError{r}, errs.Internal, "panic"))
		}
	}()
	c.Next()
}

// uploadLimits are the routes that take files rather than JSON, with their own body caps: an
// order file of a day's sales is far larger than any JSON request, and is streamed to disk.
var uploadLimits = map[string]int64{
	"POST /api/v1/ingest/batches": ingest.MaxFileBytes,
}

// limitBody caps every request body; reading past the cap fails, and bindJSON turns that into 413.
func (s *Server) limitBody(c *gin.Context) {
	limit := s.Config.BodyLimitBytes
	if l, ok := uploadLimits[c.Request.Method+" "+c.FullPath()]; ok {
		limit = l
	}
	if c.Request.ContentLength > limit {
		s.fail(c, errs.E(errs.TooLarge, "request body is larger than %d bytes", limit))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

// authenticate reads a Bearer token when one is sent. A bad token is always a 401, even on
// public routes, so a client never silently falls back to anonymous.
func (s *Server) authenticate(c *gin.Context) {
	if key := c.GetHeader(apiKeyHeader); key != "" {
		s.authenticateAPIKey(c, key)
		return
	}
	h := c.GetHeader("Authorization")
	if h == "" {
		c.Next()
		return
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		s.fail(c, errs.E(errs.Unauthorized, "Authorization header must be 'Bearer <token>'"))
		return
	}
	claims, err := s.verified.verify(strings.TrimSpace(token))
	if err != nil {
		s.fail(c, err)
		return
	}
	// A signature proves who issued the token, not that it still holds: check revocation and
	// read the role as it is now.
	if claims, err = s.currentClaims(c, claims); err != nil {
		s.fail(c, err)
		return
	}
	c.Set(ctxClaims, claims)
	s.withAuditActor(c, claims)
	c.Next()
}

// apiKeyHeader carries a machine client's API key (e.g. the order feed, role ingest).
const apiKeyHeader = "X-API-Key"

// authenticateAPIKey admits a machine client by its key, as a caller holding the key's role.
func (s *Server) authenticateAPIKey(c *gin.Context, key string) {
	k, err := s.Store.APIKeyByPlaintext(c, key)
	if errs.Is(err, errs.NotFound) {
		s.fail(c, errs.E(errs.Unauthorized, "invalid API key"))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	claims := auth.Claims{Role: k.Role, RegisteredClaims: jwt.RegisteredClaims{Subject: "apikey:" + k.ID}}
	c.Set(ctxClaims, claims)
	s.withAuditActor(c, claims)
	c.Next()
}

// withAuditActor names the caller as the actor of whatever the request changes, when the
// caller is an admin, a seller or an API key (customers' own changes are not audited): the
// store copies it into each transaction (store.InTx), where the audit trigger reads it.
// Handlers pass the gin context to the store; with ContextWithFallback its values are the
// request context's, so they see the actor.
func (s *Server) withAuditActor(c *gin.Context, claims auth.Claims) {
	a := audit.Actor{Role: claims.Role, RequestID: requestID(c), IP: c.ClientIP(), UserAgent: c.Request.UserAgent()}
	if len(a.UserAgent) > maxAuditUserAgent {
		a.UserAgent = a.UserAgent[:maxAuditUserAgent]
	}
	switch {
	case strings.HasPrefix(claims.Subject, "apikey:"):
		a.APIKeyID = strings.TrimPrefix(claims.Subject, "apikey:")
	case claims.Role == store.RoleAdmin || claims.Role == store.RoleSeller:
		a.AccountID = claims.Subject
		a.SellerID = claims.SellerID
	default:
		return
	}
	c.Request = c.Request.WithContext(audit.WithActor(c.Request.Context(), a))
}

// maxAuditUserAgent bounds the user agent an audit record keeps.
const maxAuditUserAgent = 512

// requireRole lets the request through only for an authenticated user holding one of roles.
func (s *Server) requireRole(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		claims, ok := claimsOf(c)
		if !ok {
			c.Header("WWW-Authenticate", `Bearer realm="shopflow"`)
			s.fail(c, errs.E(errs.Unauthorized, "authentication required"))
			return
		}
		if len(roles) > 0 && !slices.Contains(roles, claims.Role) {
			s.fail(c, errs.E(errs.Forbidden, "this needs one of the roles: %s", strings.Join(roles, ", ")))
			return
		}
		c.Next()
	}
}

// claimsOf returns the caller's verified claims, if the request carried a token.
func claimsOf(c *gin.Context) (auth.Claims, bool) {
	v, ok := c.Get(ctxClaims)
	if !ok {
		return auth.Claims{}, false
	}
	claims, ok := v.(auth.Claims)
	return claims, ok
}

// mustClaims is claimsOf for routes behind requireRole, where claims are always present.
func mustClaims(c *gin.Context) auth.Claims {
	claims, _ := claimsOf(c)
	return claims
}

func logLevel(status int) slog.Level {
	switch {
	case status == statusClientClosedRequest:
		return slog.LevelInfo // the client left; nothing to look into
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

type panicError struct{ v any }

func (p panicError) Error() string { return fmt.Sprintf("panic: %v", p.v) }
