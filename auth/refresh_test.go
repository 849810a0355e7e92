package auth

import (
	"bytes"
	"testing"
	"time"
)

func TestNewRefreshTokenIsRandomAndStoredByHash(t *testing.T) {
	a, hashA, err := NewRefreshToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := NewRefreshToken()
	if err != nil {
		t.Fatal(err)
	}
	if a == b || len(a) < 43 {
		t.Fatalf("tokens %q and %q: want two distinct 256-bit tokens", a, b)
	}
	if !bytes.Equal(HashRefreshToken(a), hashA) || bytes.Contains(hashA, []byte(a)) {
		t.Fatal("the stored hash is not the token's SHA-256")
	}
}

// An access token carries its session and token version, so the API can refuse it once either
// is revoked; it lives the ttl asked for, not the Tokens' default.
func TestIssueAccessCarriesSessionAndVersion(t *testing.T) {
	now := time.Now()
	tk := testTokens(now)
	signed, exp, err := tk.IssueAccess(Access{UserID: "user-1", Role: "customer", Version: 3, Family: "fam-1"}, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := exp.Sub(now); got != 15*time.Minute {
		t.Fatalf("lives %s, want 15m", got)
	}
	c, err := tk.Verify(signed)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 3 || c.Family != "fam-1" || c.UserID() != "user-1" {
		t.Fatalf("claims = %+v", c)
	}
	legacy, _, _ := tk.Issue("user-1", "customer", "")
	if c, _ := tk.Verify(legacy); c.Version != 0 || c.Family != "" {
		t.Fatalf("a token without a session: %+v, want version 0 and no family", c)
	}
}
