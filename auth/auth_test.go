package auth

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"shopflow/errs"
)

func testTokens(now time.Time) *Tokens {
	return &Tokens{Secret: []byte("0123456789abcdef0123456789abcdef"), Issuer: "shopflow", TTL: time.Hour, Now: func() time.Time { return now }}
}

func TestVerifyAcceptsOwnToken(t *testing.T) {
	tk := testTokens(time.Now())
	signed, exp, err := tk.Issue("user-1", "seller", "seller-1")
	if err != nil {
		t.Fatal(err)
	}
	if !exp.After(time.Now()) {
		t.Fatalf("expiry %v not in the future", exp)
	}
	c, err := tk.Verify(signed)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.UserID() != "user-1" || c.Role != "seller" || c.SellerID != "seller-1" {
		t.Fatalf("claims = %+v", c)
	}
}

func TestVerifyRejects(t *testing.T) {
	now := time.Now()
	tk := testTokens(now)
	good, _, _ := tk.Issue("user-1", "admin", "")

	expired, _, _ := testTokens(now.Add(-2*time.Hour)).Issue("user-1", "admin", "")
	otherKey := &Tokens{Secret: []byte("another-secret-another-secret-!!"), Issuer: "shopflow", TTL: time.Hour}
	foreign, _, _ := otherKey.Issue("user-1", "admin", "")
	otherIssuer := &Tokens{Secret: tk.Secret, Issuer: "someone-else", TTL: time.Hour}
	wrongIss, _, _ := otherIssuer.Issue("user-1", "admin", "")

	// alg none: header {"alg":"none"} with the good token's claims and no signature.
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	// HS512 with the right key: only HS256 is accepted.
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, Claims{Role: "admin", RegisteredClaims: jwt.RegisteredClaims{
		Subject: "user-1", Issuer: "shopflow", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}).SignedString(tk.Secret)
	// No expiry at all.
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, Claims{Role: "admin", RegisteredClaims: jwt.RegisteredClaims{
		Subject: "user-1", Issuer: "shopflow"}}).SignedString(tk.Secret)
	// Tampered payload: role changed, signature kept.
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"role":"admin","sub":"someone","iss":"shopflow","exp":9999999999}`)) + "." + parts[2]

	cases := map[string]struct {
		token, want string
	}{
		"expired":          {expired, "token expired"},
		"signed elsewhere": {foreign, "invalid token"},
		"alg none":         {none, "invalid token"},
		"hs512":            {hs512, "invalid token"},
		"wrong issuer":     {wrongIss, "invalid token"},
		"no expiry":        {noExp, "invalid token"},
		"tampered":         {tampered, "invalid token"},
		"garbage":          {"not.a.jwt", "invalid token"},
		"empty":            {"", "invalid token"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := tk.Verify(tc.token)
			if !errs.Is(err, errs.Unauthorized) {
				t.Fatalf("want unauthorized, got %v", err)
			}
			var e *errs.Error
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want message %q, got %v (%v)", tc.want, err, e)
			}
		})
	}
}

func TestPasswords(t *testing.T) {
	p, err := NewPasswords(4)
	if err != nil {
		t.Fatal(err)
	}
	h, err := p.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Check(h, "correct horse battery staple") {
		t.Fatal("right password rejected")
	}
	if p.Check(h, "wrong") || p.Check("", "anything") {
		t.Fatal("wrong password accepted")
	}
	if _, err := p.Hash(strings.Repeat("x", 73)); !errs.Is(err, errs.Unprocessable) {
		t.Fatalf("73-byte password: want validation error, got %v", err)
	}
}
