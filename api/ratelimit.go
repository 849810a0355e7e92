package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"

	"shopflow/errs"
)

// routeClass is a group of routes sharing one rate limit (SHOPFLOW_RATE_LIMIT_<CLASS>).
type routeClass string

const (
	classAuth   routeClass = "auth"   // registration and login: each runs bcrypt
	classWrites routeClass = "writes" // POST, PUT, PATCH, DELETE
	classReads  routeClass = "reads"  // GET, HEAD
	classExempt routeClass = ""       // not limited here
)

// rateExempt are routes the general limit leaves alone.
//   - Top sellers is served from the in-process cache and sized for a CDN in front: a Redis
//     round trip per request would cost far more than serving the read. Flooding it costs no
//     database work either: unknown ids are refused from a cached set of ids, and each category
//     is refilled at most once per TTL.
//   - The Stripe webhook comes from Stripe's few addresses, signed; limiting it per IP would
//     drop payment results that a saga is waiting for.
var rateExempt = map[string]string{ // route -> method
	"/api/v1/categories/:id/top-sellers": http.MethodGet,
	"/api/v1/webhooks/stripe":            http.MethodPost,
}

const (
	// rateLimitTimeout bounds the Redis call, so a hung Redis delays a request by little.
	rateLimitTimeout = 100 * time.Millisecond
	// rateLimitBackoff is how long the limiter stops asking Redis after Redis failed: while
	// Redis is down, requests do not each wait for a dial to fail.
	rateLimitBackoff = time.Second
)

// rateLimiter is the general per-class limit, counted in Redis (redis_rate's GCRA), so every
// API process shares one budget per caller.
type rateLimiter struct {
	limiter *redis_rate.Limiter
	prefix  string
	perMin  map[routeClass]int
	// redisDownUntil (Unix nanoseconds) is set after a Redis failure; until then the limiter
	// answers as if Redis were down without asking it.
	redisDownUntil atomic.Int64
}

// rateLimit spends one request from the caller's budget for the route's class: per account when
// authenticated, per client IP (see SHOPFLOW_TRUSTED_PROXIES) otherwise. Over the budget is 429
// with Retry-After. With Redis down, auth routes are refused with 503 (an unlimited door for
// password guessing and bcrypt floods is worse than a short outage of login), while reads and
// writes go on unlimited: the limit guards against abuse, and browsing or checking out needs
// Postgres and Temporal, not Redis.
func (s *Server) rateLimit(c *gin.Context) {
	class := classOf(c.Request.Method, c.FullPath())
	per := s.rates.perMin[class]
	if class == classExempt || per <= 0 || s.rates.limiter == nil {
		c.Next()
		return
	}
	who := "ip:" + c.ClientIP()
	if claims, ok := claimsOf(c); ok && claims.Subject != "" {
		who = "account:" + claims.Subject
	}
	res, err := s.rates.allow(c.Request.Context(), string(class)+":"+who, per)
	switch {
	case err != nil && class == classAuth:
		s.fail(c, errs.Wrap(err, errs.Unavailable, "registration and sign-in are unavailable right now; try again shortly"))
		return
	case err != nil:
		if !errors.Is(err, errRedisBackoff) { // logged once per backoff, not per request
			s.log(c).WarnContext(c.Request.Context(), "rate limit not applied: Redis unavailable", "err", err)
		}
	case res.Allowed == 0:
		retry := int(res.RetryAfter/time.Second) + 1
		s.fail(c, errs.E(errs.RateLimited, "too many requests; try again in %d seconds", retry).
			WithDetails("retry_after_seconds", retry))
		return
	}
	c.Next()
}

// errRedisBackoff is the limiter's answer while it leaves a failed Redis alone.
var errRedisBackoff = errors.New("redis failed less than a second ago; not asked again yet")

// allow spends one request of key's budget of perMin requests a minute.
func (r *rateLimiter) allow(ctx context.Context, key string, perMin int) (*redis_rate.Result, error) {
	if time.Now().UnixNano() < r.redisDownUntil.Load() {
		return nil, errRedisBackoff
	}
	// Not the request's context: a client that hangs up must not read as Redis failing (and so
	// switch the limiter off for everyone for a second).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rateLimitTimeout)
	defer cancel()
	res, err := r.limiter.Allow(ctx, r.prefix+"rate:"+key, redis_rate.PerMinute(perMin))
	if err != nil {
		r.redisDownUntil.Store(time.Now().Add(rateLimitBackoff).UnixNano())
		return nil, err
	}
	return res, nil
}

// classOf is the route class of a request to route (Gin's path pattern).
func classOf(method, route string) routeClass {
	switch {
	case route == "" || rateExempt[route] == method:
		return classExempt
	case route == "/api/v1/auth/register" || route == "/api/v1/auth/login":
		// Only what runs bcrypt or guesses passwords. Refresh and logout carry unguessable
		// tokens, and must keep working while Redis is down or sessions would lapse with it.
		return classAuth
	case method == http.MethodGet || method == http.MethodHead:
		return classReads
	}
	return classWrites
}

// trustedProxies is SHOPFLOW_TRUSTED_PROXIES without blanks; nil (trust no proxy) when empty.
func trustedProxies(list []string) []string {
	var out []string
	for _, p := range list {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
