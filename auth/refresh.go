package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// refreshTokenBytes is the entropy of a refresh token: 256 bits, beyond guessing.
const refreshTokenBytes = 32

// NewRefreshToken returns a fresh opaque refresh token and the hash to store for it. Only the
// hash is stored, so a copy of the database holds no token that can be exchanged.
func NewRefreshToken() (token string, hash []byte, err error) {
	b := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("generate refresh token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefreshToken(token), nil
}

// HashRefreshToken is the stored form of a refresh token. A plain SHA-256 suffices (no salt,
// no bcrypt): the token is 256 random bits, so there is no dictionary to guard against, and the
// lookup by hash stays one index probe.
func HashRefreshToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
