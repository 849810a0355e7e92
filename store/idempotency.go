package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
)

// IdempotentResponse is a stored response to a request sent with an Idempotency-Key.
// Done is false while the first request is still being handled.
type IdempotentResponse struct {
	// ClaimedAt, when this request made the claim, identifies it: a request whose claim was
	// taken over (it outlived the lease) can no longer complete or release the key.
	ClaimedAt   time.Time
	RequestHash string
	Done        bool
	StatusCode  int
	Header      http.Header
	Body        []byte
}

// IdempotencyPolicy says how long keys live and when a claim counts as abandoned.
type IdempotencyPolicy struct {
	// TTL is how long a key and its stored response are kept; an older key is free again.
	TTL time.Duration
	// Lease is how long a claim without a response may be held: past it, the request that
	// claimed it died (a crash, a killed process) and a retry takes the claim over.
	Lease time.Duration
}

// ClaimIdempotencyKey records that a request with key is being handled in scope. It returns
// claimed=true for the first request, and for a retry that finds the key expired or its claim
// abandoned past the lease; other requests get the stored record instead.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, scope, key, requestHash string, p IdempotencyPolicy) (claimed bool, prev IdempotentResponse, err error) {
	// One statement: insert, or take over a row that expired or whose claim was abandoned. The
	// conflict path locks the row, so two retries cannot both take it over.
	err = s.Pool.QueryRow(ctx, `
		INSERT INTO idempotency_keys AS k (scope, key, request_hash) VALUES ($1, $2, $3)
		ON CONFLICT (scope, key) DO UPDATE
		SET request_hash = EXCLUDED.request_hash, status_code = NULL, headers = NULL, response = NULL, created_at = clock_timestamp()
		WHERE k.created_at < now() - $4::interval
		   OR (k.status_code IS NULL AND k.created_at < now() - $5::interval)
		RETURNING created_at`,
		scope, key, requestHash, p.TTL, p.Lease).Scan(&prev.ClaimedAt)
	if err == nil {
		return true, prev, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return false, prev, fmt.Errorf("claim idempotency key: %w", err)
	}
	var status *int
	err = s.Pool.QueryRow(ctx,
		`SELECT request_hash, status_code, coalesce(headers, '{}'), coalesce(response, '') FROM idempotency_keys WHERE scope = $1 AND key = $2`,
		scope, key).Scan(&prev.RequestHash, &status, &prev.Header, &prev.Body)
	if errors.Is(err, pgx.ErrNoRows) {
		// Released between our insert and select by a failed first attempt: claim it again.
		return s.ClaimIdempotencyKey(ctx, scope, key, requestHash, p)
	}
	if err != nil {
		return false, prev, fmt.Errorf("read idempotency key: %w", err)
	}
	if status != nil {
		prev.Done, prev.StatusCode = true, *status
	}
	return false, prev, nil
}

// DeleteExpiredIdempotencyKeys deletes up to limit keys older than ttl and returns how many it
// deleted, so a cleanup can go in bounded batches.
func (s *Store) DeleteExpiredIdempotencyKeys(ctx context.Context, ttl time.Duration, limit int) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `
		DELETE FROM idempotency_keys WHERE ctid IN (
			SELECT ctid FROM idempotency_keys WHERE created_at < now() - $1::interval LIMIT $2)`, ttl, limit)
	if err != nil {
		return 0, fmt.Errorf("delete expired idempotency keys: %w", err)
	}
	return tag.RowsAffected(), nil
}

// CompleteIdempotencyKey stores the response to replay for the key claimed at claimedAt; a
// claim taken over since is left to its new owner.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, scope, key string, claimedAt time.Time, status int, header http.Header, body []byte) error {
	_, err := s.Pool.Exec(ctx,
		`UPDATE idempotency_keys SET status_code = $4, headers = $5, response = $6 WHERE scope = $1 AND key = $2 AND created_at = $3`,
		scope, key, claimedAt, status, header, body)
	if err != nil {
		return fmt.Errorf("store idempotent response: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey forgets the claim made at claimedAt, whose request failed in a way
// worth retrying; a claim taken over since is left to its new owner.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, scope, key string, claimedAt time.Time) error {
	if _, err := s.Pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status_code IS NULL AND created_at = $3`,
		scope, key, claimedAt); err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
