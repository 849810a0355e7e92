package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"shopflow/auth"
	"shopflow/errs"
	"shopflow/store"
)

// tokenResponse is a session's token pair: a short access token sent on every request, and a
// refresh token exchanged once at POST /auth/refresh for the next pair.
type tokenResponse struct {
	AccessToken      string     `json:"access_token"`
	TokenType        string     `json:"token_type"`
	ExpiresAt        time.Time  `json:"expires_at"`
	RefreshToken     string     `json:"refresh_token"`
	RefreshExpiresAt time.Time  `json:"refresh_expires_at"`
	User             store.User `json:"user"`
}

// startSession opens a new refresh family for u and issues its first pair.
func (s *Server) startSession(ctx context.Context, u store.User) (tokenResponse, error) {
	refresh, hash, err := auth.NewRefreshToken()
	if err != nil {
		return tokenResponse{}, err
	}
	refreshExp := time.Now().Add(s.Config.RefreshTokenTTL)
	family, err := s.Store.StartSession(ctx, u.ID, u.TokenVersion, hash, refreshExp)
	if err != nil {
		return tokenResponse{}, err
	}
	return s.tokenPair(u, family, refresh, refreshExp)
}

// tokenPair signs the access token of u's session family and pairs it with refresh.
func (s *Server) tokenPair(u store.User, family, refresh string, refreshExp time.Time) (tokenResponse, error) {
	sellerID := ""
	if u.SellerID != nil {
		sellerID = *u.SellerID
	}
	access, exp, err := s.Tokens.IssueAccess(auth.Access{
		UserID: u.ID, Role: u.Role, SellerID: sellerID, Version: u.TokenVersion, Family: family,
	}, s.Config.AccessTokenTTL)
	if err != nil {
		return tokenResponse{}, err
	}
	return tokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresAt: exp.UTC(),
		RefreshToken: refresh, RefreshExpiresAt: refreshExp.UTC(), User: u}, nil
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token" binding:"required,max=100"`
}

// refresh exchanges a refresh token for a new pair and retires it. A retired token presented
// again revokes its whole session (the store's reuse detection) and answers 401.
func (s *Server) refresh(c *gin.Context) {
	var req refreshRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	next, hash, err := auth.NewRefreshToken()
	if err != nil {
		s.fail(c, err)
		return
	}
	refreshExp := time.Now().Add(s.Config.RefreshTokenTTL)
	r, err := s.Store.RotateRefresh(c, auth.HashRefreshToken(req.RefreshToken), hash, refreshExp)
	if errs.Is(err, errs.Unauthorized) {
		// A refusal may have revoked the token's session (reuse): never serve it from the cache.
		s.forgetSessionOf(c, req.RefreshToken)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	pair, err := s.tokenPair(r.User, r.FamilyID, next, refreshExp)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, pair)
}

// logout ends the session the refresh token belongs to: its refresh tokens exchange no more and
// its access tokens are refused from the next request on; the account's other sessions go on.
// The session is named by its refresh token, not the access token, so a client whose access
// token has expired logs out without refreshing first. An unknown or already ended session is
// answered the same 204, so the endpoint tells nothing about tokens it does not know.
func (s *Server) logout(c *gin.Context) {
	var req refreshRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	err := s.Store.EndSessionOf(c, auth.HashRefreshToken(req.RefreshToken))
	// Even on an error, as the end may have been committed.
	s.forgetSessionOf(c, req.RefreshToken)
	if err != nil {
		s.fail(c, fmt.Errorf("log out: %w", err))
		return
	}
	c.Status(http.StatusNoContent)
}

type passwordChangeRequest struct {
	CurrentPassword string `json:"current_password" binding:"required,max=72"`
	NewPassword     string `json:"new_password" binding:"required,min=10,max=72"`
}

// changePassword sets the caller's password, given the current one. Every token of the account
// is revoked (whoever else holds a session loses it) and the caller gets a fresh session.
// Attempts spend the login budget, so a stolen access token cannot guess the password freely.
func (s *Server) changePassword(c *gin.Context) {
	var req passwordChangeRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u, ok := s.currentPasswordChecked(c, req.CurrentPassword)
	if !ok {
		return
	}
	hash, err := s.Passwords.Hash(req.NewPassword)
	if err != nil {
		s.fail(c, err)
		return
	}
	changed, err := s.Store.ChangePassword(c, u.ID, hash)
	s.principals.forgetUser(u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	pair, err := s.startSession(c, changed)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, pair)
}

// currentClaims checks a verified token against the account as it is now: the account exists
// and is enabled, the token's version is the account's (no revocation since it was issued) and
// its session was not ended. Role and seller come from the database, never from the token.
// The answer is read in one query and cached for SHOPFLOW_AUTH_CACHE_TTL (principals.go):
// revocations and role changes made through this process apply from the next request, those
// made elsewhere within the TTL.
func (s *Server) currentClaims(ctx context.Context, claims auth.Claims) (auth.Claims, error) {
	if _, err := uuid.Parse(claims.Subject); err != nil {
		return auth.Claims{}, errs.E(errs.Unauthorized, "invalid token")
	}
	if claims.Family != "" {
		if _, err := uuid.Parse(claims.Family); err != nil {
			return auth.Claims{}, errs.E(errs.Unauthorized, "invalid token")
		}
	}
	p, err := s.principals.of(ctx, claims.Subject, claims.Family)
	switch {
	case errs.Is(err, errs.NotFound):
		return auth.Claims{}, errs.E(errs.Unauthorized, "account no longer exists")
	case err != nil:
		return auth.Claims{}, err
	case p.Disabled:
		return auth.Claims{}, errs.E(errs.Unauthorized, "account is disabled")
	case p.TokenVersion != claims.Version:
		return auth.Claims{}, errs.E(errs.Unauthorized, "token was revoked; log in again")
	case !p.SessionLive:
		return auth.Claims{}, errs.E(errs.Unauthorized, "session has ended; log in again")
	}
	claims.Role = p.Role
	claims.SellerID = ""
	if p.SellerID != nil {
		claims.SellerID = *p.SellerID
	}
	return claims, nil
}

// forgetSessionOf drops the cached check of the session refreshToken belongs to, after a write
// that may have ended it. A token never issued names no session, and forgets nothing: junk
// tokens cannot empty the cache. When the session cannot be looked up, every entry goes.
func (s *Server) forgetSessionOf(ctx context.Context, refreshToken string) {
	user, family, ok, err := s.Store.SessionOfRefresh(ctx, auth.HashRefreshToken(refreshToken))
	switch {
	case err != nil:
		s.principals.forgetAll()
	case ok:
		s.principals.forgetSession(user, family)
	}
}

// currentPasswordChecked loads the caller's account and checks that password is its current
// one, answering the failure itself (false). Attempts spend the login budget, so a stolen
// access token cannot be used to guess the password freely.
func (s *Server) currentPasswordChecked(c *gin.Context, password string) (store.User, bool) {
	u, err := s.Store.UserByID(c, mustClaims(c).UserID())
	if err != nil {
		s.fail(c, fmt.Errorf("load current user: %w", err))
		return store.User{}, false
	}
	if err := s.allowLogin(c, strings.ToLower(u.Email), c.ClientIP()); err != nil {
		s.fail(c, err)
		return store.User{}, false
	}
	if !s.Passwords.Check(u.PasswordHash, password) {
		s.fail(c, fieldInvalid("current_password", "is not the account's password"))
		return store.User{}, false
	}
	return u, true
}
