package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"
)

// IdempotentResponse is a stored response to a request sent with an Idempotency-Key.
// Done is false while the first request is still being handled.
type IdempotentResponse struct {
	RequestHash string
	Done        bool
	StatusCode  int
	Header      http.Header
	Body        []byte
}

// ClaimIdempotencyKey records that a request with key is being handled in scope. It returns
// claimed=true for the first request; later ones get the stored record instead.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, scope, key, requestHash string) (claimed bool, prev IdempotentResponse, err error) {
	tag, err := s.Pool.Exec(ctx,
		`INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		scope, key, requestHash)
	if err != nil {
		return false, prev, fmt.Errorf("claim idempotency key: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return true, prev, nil
	}
	var status *int
	err = s.Pool.QueryRow(ctx,
		`SELECT request_hash, status_code, coalesce(headers, '{}'), coalesce(response, '') FROM idempotency_keys WHERE scope = $1 AND key = $2`,
		scope, key).Scan(&prev.RequestHash, &status, &prev.Header, &prev.Body)
	if errors.Is(err, pgx.ErrNoRows) {
		// Released between our insert and select by a failed first attempt: claim it again.
		return s.ClaimIdempotencyKey(ctx, scope, key, requestHash)
	}
	if err != nil {
		return false, prev, fmt.Errorf("read idempotency key: %w", err)
	}
	if status != nil {
		prev.Done, prev.StatusCode = true, *status
	}
	return false, prev, nil
}

// CompleteIdempotencyKey stores the response to replay for the claimed key.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, scope, key string, status int, header http.Header, body []byte) error {
	_, err := s.Pool.Exec(ctx,
		`UPDATE idempotency_keys SET status_code = $3, headers = $4, response = $5 WHERE scope = $1 AND key = $2`,
		scope, key, status, header, body)
	if err != nil {
		return fmt.Errorf("store idempotent response: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey forgets a claim whose request failed in a way worth retrying.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, scope, key string) error {
	if _, err := s.Pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status_code IS NULL`, scope, key); err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
