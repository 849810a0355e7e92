// Package auth hashes passwords and issues and verifies the API's JWTs (HS256 only).
package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"shopflow/errs"
)

// Passwords hashes and checks passwords with bcrypt at a configured cost.
type Passwords struct {
	Cost int
	// dummy is compared against when an account does not exist, so a login for an unknown email
	// takes as long as one for a known email and does not reveal which emails have accounts.
	dummy []byte
}

// NewPasswords returns a Passwords hashing at cost.
func NewPasswords(cost int) (*Passwords, error) {
	dummy, err := bcrypt.GenerateFromPassword([]byte("not-a-real-password"), cost)
	if err != nil {
		return nil, fmt.Errorf("bcrypt cost %d: %w", cost, err)
	}
	return &Passwords{Cost: cost, dummy: dummy}, nil
}

// MaxPasswordBytes is bcrypt's limit; longer passwords would be silently truncated.
const MaxPasswordBytes = 72

// Hash returns the bcrypt hash of password.
func (p *Passwords) Hash(password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", errs.E(errs.Unprocessable, "password must be at most %d bytes", MaxPasswordBytes)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), p.Cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// Check reports whether password matches hash. An empty hash (unknown account) still costs
// one bcrypt comparison and always fails.
func (p *Passwords) Check(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(p.dummy, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// Claims are what a Shopflow token says about its bearer.
//
// Role and SellerID say what the bearer was at issue time; the API trusts neither, and reads
// both from the database on every request, so a role change takes effect at once. Version is
// the account's token version at issue (tokens without one, issued before sessions existed,
// count as version 0) and Family the session the token belongs to (empty for such old tokens).
type Claims struct {
	Role     string `json:"role"`
	SellerID string `json:"sid,omitempty"`
	Version  int    `json:"ver,omitempty"`
	Family   string `json:"fam,omitempty"`
	jwt.RegisteredClaims
}

// UserID is the token's subject.
func (c Claims) UserID() string { return c.Subject }

// Tokens issues and verifies HS256 JWTs.
type Tokens struct {
	Secret []byte
	Issuer string
	TTL    time.Duration
	// Now is the clock; nil means time.Now. Tests set it to mint expired tokens.
	Now func() time.Time
}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Issue returns a signed token for the user, living TTL, and when it expires. It carries no
// session: IssueAccess is what logins and refreshes use.
func (t *Tokens) Issue(userID, role, sellerID string) (string, time.Time, error) {
	return t.IssueAccess(Access{UserID: userID, Role: role, SellerID: sellerID}, t.TTL)
}

// Access is what an access token says: whose it is, and which session and token version it
// belongs to.
type Access struct {
	UserID   string
	Role     string
	SellerID string
	Version  int
	Family   string
}

// IssueAccess returns a signed access token living ttl, and when it expires.
func (t *Tokens) IssueAccess(a Access, ttl time.Duration) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(ttl)
	claims := Claims{
		Role:     a.Role,
		SellerID: a.SellerID,
		Version:  a.Version,
		Family:   a.Family,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   a.UserID,
			Issuer:    t.Issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.Secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, exp, nil
}

// Verify checks the signature (HS256 only, so `alg: none` and algorithm confusion are refused),
// issuer, and expiry, and returns the claims.
func (t *Tokens) Verify(token string) (Claims, error) {
	var claims Claims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return t.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(t.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.now),
		jwt.WithLeeway(5*time.Second),
	)
	if err != nil {
		msg := "invalid token"
		if errors.Is(err, jwt.ErrTokenExpired) {
			msg = "token expired"
		}
		return Claims{}, errs.Wrap(err, errs.Unauthorized, "%s", msg)
	}
	if claims.Subject == "" || claims.Role == "" {
		return Claims{}, errs.E(errs.Unauthorized, "invalid token")
	}
	return claims, nil
}
