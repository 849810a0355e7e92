package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RoleIngest is the role of API keys that report orders from other systems.
const RoleIngest = "ingest"

// APIKey is a machine client's credential; only its hash is stored.
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// apiKeyPrefix marks Shopflow keys, so a leaked one is recognisable in logs and scanners.
const apiKeyPrefix = "sfk_"

// CreateAPIKey makes a key and returns it with its plaintext, which is shown once and never
// stored.
func (s *Store) CreateAPIKey(ctx context.Context, name, role string) (APIKey, string, error) {
	raw := apiKeyPrefix + rand.Text() + rand.Text()
	var k APIKey
	err := s.queryRowInTx(ctx, func(row pgx.Row) error {
		return row.Scan(&k.ID, &k.Name, &k.Role, &k.CreatedAt, &k.RevokedAt)
	}, `INSERT INTO api_keys (name, key_hash, role) VALUES ($1, $2, $3)
		RETURNING id, name, role, created_at, revoked_at`, name, hashAPIKey(raw), role)
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create api key %q: %w", name, classify(err, "api key"))
	}
	return k, raw, nil
}

// APIKeyByPlaintext finds the live key matching raw; a revoked or unknown key is not found.
func (s *Store) APIKeyByPlaintext(ctx context.Context, raw string) (APIKey, error) {
	var k APIKey
	err := s.Pool.QueryRow(ctx, `
		SELECT id, name, role, created_at, revoked_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, hashAPIKey(raw)).
		Scan(&k.ID, &k.Name, &k.Role, &k.CreatedAt, &k.RevokedAt)
	if err != nil {
		return APIKey{}, classify(err, "api key")
	}
	return k, nil
}

// RevokeAPIKey stops a key from working; revoking twice is a no-op.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) error {
	tag, err := s.execInTx(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("revoke api key %s: %w", id, classify(err, "api key"))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke api key %s: %w", id, classify(pgx.ErrNoRows, "api key"))
	}
	return nil
}

// hashAPIKey is SHA-256: keys are long random strings, so a slow hash would add nothing.
func hashAPIKey(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}
