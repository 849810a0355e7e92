package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"shopflow/errs"
)

// Principal is what the database says, now, about the account a token speaks for. The API
// reads it on every authenticated request instead of trusting the token's role.
type Principal struct {
	Role         string
	SellerID     *string
	TokenVersion int
	Disabled     bool
	// SessionLive is false when the token's refresh family was revoked (logout, reuse) or is
	// unknown; always true for a token that names no family.
	SessionLive bool
}

// PrincipalOf reads the account userID and, when familyID is set, whether that session is still
// live, in one query of primary-key lookups. A database that does not answer is errs.Unavailable
// (503), never an internal error: the request may succeed once Postgres is back.
func (s *Store) PrincipalOf(ctx context.Context, userID, familyID string) (Principal, error) {
	var family *string
	if familyID != "" {
		family = &familyID
	}
	var p Principal
	err := s.Pool.QueryRow(ctx, `
		SELECT u.role, s.id, u.token_version, u.disabled_at IS NOT NULL,
		       $2::uuid IS NULL OR (f.id IS NOT NULL AND f.revoked_at IS NULL)
		FROM users u
		LEFT JOIN sellers s ON s.user_id = u.id
		LEFT JOIN refresh_families f ON f.id = $2::uuid AND f.user_id = u.id
		WHERE u.id = $1`, userID, family).Scan(&p.Role, &p.SellerID, &p.TokenVersion, &p.Disabled, &p.SessionLive)
	if err != nil {
		return Principal{}, sessionErr(err, "read account "+userID)
	}
	return p, nil
}

// StartSession opens a refresh family for the user at tokenVersion, holding its first refresh
// token (stored by hash), and returns the family's id. It first forgets the user's refresh
// tokens that have expired and the sessions left with none: presenting one of those again is a
// 401 anyway, and this keeps the tables bounded by the live sessions without a cleanup job.
func (s *Store) StartSession(ctx context.Context, userID string, tokenVersion int, refreshHash []byte, expiresAt time.Time) (string, error) {
	var family string
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if err := forgetExpiredSessions(ctx, tx, userID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO refresh_families (user_id, token_version) VALUES ($1, $2) RETURNING id`,
			userID, tokenVersion).Scan(&family); err != nil {
			return classifyOwner(err, "session")
		}
		_, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, family_id, expires_at) VALUES ($1, $2, $3)`,
			refreshHash, family, expiresAt)
		return err
	})
	if err != nil {
		return "", sessionErr(err, "start session for "+userID)
	}
	return family, nil
}

func forgetExpiredSessions(ctx context.Context, tx pgx.Tx, userID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM refresh_tokens t USING refresh_families f
		WHERE f.id = t.family_id AND f.user_id = $1 AND t.expires_at < now()`, userID); err != nil {
		return fmt.Errorf("forget expired refresh tokens: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM refresh_families f
		WHERE f.user_id = $1 AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id)`, userID); err != nil {
		return fmt.Errorf("forget ended sessions: %w", err)
	}
	return nil
}

// Refreshed is the account and session a refresh token was exchanged in.
type Refreshed struct {
	User     User
	FamilyID string
}

// RotateRefresh exchanges the refresh token hashed oldHash for the one hashed newHash (valid
// until expiresAt) in the same family. The old token is retired, never deleted: presenting it
// again is reuse, which means it was copied, so the whole family is revoked and every token of
// that session stops working. An unknown, expired or revoked token, a disabled account and a
// family older than the account's last revocation are errs.Unauthorized.
func (s *Store) RotateRefresh(ctx context.Context, oldHash, newHash []byte, expiresAt time.Time) (Refreshed, error) {
	var r rotation
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		r, err = rotateRefresh(ctx, tx, oldHash, newHash, expiresAt)
		return err
	})
	if err != nil {
		return Refreshed{}, sessionErr(err, "refresh session")
	}
	if r.refusal != nil {
		// Returned after the commit, so a revocation made while refusing is kept.
		return Refreshed{}, r.refusal
	}
	return r.done, nil
}

// rotation is the outcome of one exchange: done, or refused with the reason to answer.
type rotation struct {
	done    Refreshed
	refusal error
}

func refused(msg string) rotation { return rotation{refusal: errs.E(errs.Unauthorized, "%s", msg)} }

func rotateRefresh(ctx context.Context, tx pgx.Tx, oldHash, newHash []byte, expiresAt time.Time) (rotation, error) {
	var family, userID string
	var famVersion int
	var expired, used, revoked bool
	err := tx.QueryRow(ctx, `
		SELECT t.family_id, f.user_id, f.token_version, t.expires_at <= now(), t.used_at IS NOT NULL, f.revoked_at IS NOT NULL
		FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
		WHERE t.token_hash = $1
		FOR UPDATE OF t, f`, oldHash).Scan(&family, &userID, &famVersion, &expired, &used, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return refused("invalid refresh token"), nil
	}
	if err != nil {
		return rotation{}, fmt.Errorf("read refresh token: %w", err)
	}
	switch {
	case revoked:
		return refused("session has ended; log in again"), nil
	case used:
		return refused("refresh token was already used; the session is revoked, log in again"),
			revokeFamily(ctx, tx, family, "reuse")
	case expired:
		return refused("refresh token expired; log in again"), nil
	}
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u LEFT JOIN sellers s ON s.user_id = u.id WHERE u.id = $1`, userID))
	if err != nil {
		return rotation{}, fmt.Errorf("read account %s: %w", userID, err)
	}
	if u.DisabledAt != nil {
		return refused("account is disabled"), revokeFamily(ctx, tx, family, "revoked")
	}
	if u.TokenVersion != famVersion {
		return refused("session was revoked; log in again"), revokeFamily(ctx, tx, family, "revoked")
	}
	if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1`, oldHash); err != nil {
		return rotation{}, fmt.Errorf("retire refresh token: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, family_id, expires_at) VALUES ($1, $2, $3)`,
		newHash, family, expiresAt); err != nil {
		return rotation{}, fmt.Errorf("store refresh token: %w", err)
	}
	return rotation{done: Refreshed{User: u, FamilyID: family}}, nil
}

func revokeFamily(ctx context.Context, tx pgx.Tx, family, reason string) error {
	_, err := tx.Exec(ctx, `UPDATE refresh_families SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL`,
		family, reason)
	if err != nil {
		return fmt.Errorf("revoke session %s: %w", family, err)
	}
	return nil
}

// EndSessionOf revokes the session holding the refresh token hashed refreshHash, current or
// retired (logout): its refresh tokens exchange no more and its access tokens are refused.
// Ending a session already ended, or naming none, succeeds and changes nothing.
func (s *Store) EndSessionOf(ctx context.Context, refreshHash []byte) error {
	_, err := s.Pool.Exec(ctx, `UPDATE refresh_families f SET revoked_at = now(), revoked_reason = 'logout'
		FROM refresh_tokens t
		WHERE t.token_hash = $1 AND f.id = t.family_id AND f.revoked_at IS NULL`, refreshHash)
	if err != nil {
		return sessionErr(err, "end session")
	}
	return nil
}

// sessionErr classifies a failure of an authentication query. A failure that is neither a
// missing row, a database error nor the client leaving means Postgres did not answer: that is
// errs.Unavailable, so the caller gets a 503 and retries rather than a 500.
func sessionErr(err error, op string) error {
	var e *errs.Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &e):
		return err
	case errors.Is(err, pgx.ErrNoRows):
		return errs.Wrap(err, errs.NotFound, "account not found")
	case errors.As(err, &pgErr), errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", op, err)
	}
	return errs.Wrap(fmt.Errorf("%s: %w", op, err), errs.Unavailable, "accounts are unavailable right now; try again shortly")
}

// SessionOfRefresh names the session (account and family) a refresh token belongs to, whether
// or not it has ended; ok is false for a token never issued. The API uses it to forget just
// that session's cached check after a logout or a refused refresh.
func (s *Store) SessionOfRefresh(ctx context.Context, refreshHash []byte) (userID, familyID string, ok bool, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT f.user_id::text, f.id::text FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
		WHERE t.token_hash = $1`, refreshHash).Scan(&userID, &familyID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", "", false, nil
	case err != nil:
		return "", "", false, sessionErr(err, "find session")
	}
	return userID, familyID, true, nil
}
