package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"

	"shopflow/errs"
	"shopflow/store"
)

type registerRequest struct {
	Email     string `json:"email" binding:"required,email,max=254"`
	Password  string `json:"password" binding:"required,min=10,max=72"`
	Name      string `json:"name" binding:"max=200"`
	Role      string `json:"role" binding:"omitempty,oneof=customer seller"`
	StoreName string `json:"store_name" binding:"required_if=Role seller,excluded_unless=Role seller,max=120"`
}

// register creates a customer, or a seller with its store. Admins are never self-registered.
func (s *Server) register(c *gin.Context) {
	var req registerRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Role == "" {
		req.Role = store.RoleCustomer
	}
	req.StoreName = strings.TrimSpace(req.StoreName)
	if req.Role == store.RoleSeller && req.StoreName == "" {
		s.fail(c, (&errs.Error{Code: errs.Unprocessable, Message: "store_name is required for sellers"}).
			WithDetails("fields", map[string]string{"store_name": "is required"}))
		return
	}
	hash, err := s.Passwords.Hash(req.Password)
	if err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.Store.CreateUser(c, store.NewUser{
		Email: req.Email, PasswordHash: hash, Name: strings.TrimSpace(req.Name), Role: req.Role, StoreName: req.StoreName,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/users/me")
	c.JSON(http.StatusCreated, u)
}

type loginRequest struct {
	Email    string `json:"email" binding:"required,max=254"`
	Password string `json:"password" binding:"required,max=72"`
}

// login checks the password, starts a session and answers with its first token pair. Attempts are limited per account and per
// client IP, counted before the password check so guessing costs attempts whatever the outcome.
func (s *Server) login(c *gin.Context) {
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if err := s.allowLogin(c, email, c.ClientIP()); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.Store.UserByEmail(c, email)
	if err != nil && !errs.Is(err, errs.NotFound) {
		s.fail(c, err)
		return
	}
	if !s.Passwords.Check(u.PasswordHash, req.Password) {
		s.fail(c, errs.E(errs.Unauthorized, "email or password is wrong"))
		return
	}
	// Told only to whoever knows the password, so it reveals nothing to a guesser.
	if u.DisabledAt != nil {
		s.fail(c, errs.E(errs.Unauthorized, "account is disabled"))
		return
	}
	pair, err := s.startSession(c, u)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, pair)
}

// allowLogin spends one attempt from the account's and the IP's budgets. When Redis is down,
// login is refused rather than left unlimited: an open door for password guessing is worse.
func (s *Server) allowLogin(ctx context.Context, email, ip string) error {
	period := s.Config.LoginLimitPeriod
	limits := []struct {
		key   string
		limit int
	}{
		// The IP first, so attempts refused for the account still spend the IP's budget and
		// spraying one password over many accounts is slowed too.
		{s.Config.RedisPrefix + "login:ip:" + ip, s.Config.LoginLimitPerIP},
		{s.Config.RedisPrefix + "login:account:" + email, s.Config.LoginLimitPerAccount},
	}
	for _, l := range limits {
		res, err := s.limiter.Allow(ctx, l.key, redis_rate.Limit{Rate: l.limit, Burst: l.limit, Period: period})
		if err != nil {
			return errs.Wrap(err, errs.Unavailable, "login is unavailable right now; try again shortly")
		}
		if res.Allowed == 0 {
			retry := int(res.RetryAfter.Seconds()) + 1
			return errs.E(errs.RateLimited, "too many login attempts; try again in %d seconds", retry).
				WithDetails("retry_after_seconds", retry)
		}
	}
	return nil
}

// me returns the caller's account.
func (s *Server) me(c *gin.Context) {
	u, err := s.Store.UserByID(c, mustClaims(c).UserID())
	if err != nil {
		if errs.Is(err, errs.NotFound) { // deleted since the token was issued
			s.fail(c, errs.E(errs.Unauthorized, "account no longer exists"))
			return
		}
		s.fail(c, fmt.Errorf("load current user: %w", err))
		return
	}
	c.JSON(http.StatusOK, u)
}
