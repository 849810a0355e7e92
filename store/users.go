package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"shopflow/errs"
)

// Roles a user can hold. A seller user also has a sellers row.
const (
	RoleCustomer = "customer"
	RoleSeller   = "seller"
	RoleAdmin    = "admin"
)

// User is an account. SellerID and StoreName are set for sellers only.
type User struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	SellerID  *string   `json:"seller_id,omitempty"`
	StoreName *string   `json:"store_name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// DisabledAt is set while an admin has disabled the account: it can neither log in nor
	// refresh, and its tokens are refused.
	DisabledAt   *time.Time `json:"disabled_at,omitempty"`
	PasswordHash string     `json:"-"`
	// TokenVersion is stamped into every token; bumping it revokes them all.
	TokenVersion int `json:"-"`
}

// NewUser is what CreateUser needs; StoreName is required for sellers and ignored otherwise.
type NewUser struct {
	Email        string
	PasswordHash string
	Name         string
	Role         string
	StoreName    string
}

const userColumns = `u.id, u.email, u.name, u.role, s.id, s.store_name, u.created_at, u.disabled_at, u.password_hash, u.token_version`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.SellerID, &u.StoreName, &u.CreatedAt, &u.DisabledAt,
		&u.PasswordHash, &u.TokenVersion)
	return u, err
}

// CreateUser inserts a user, and for sellers its sellers row, in one transaction.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	var u User
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx,
			`INSERT INTO users (email, password_hash, name, role) VALUES ($1, $2, $3, $4) RETURNING id`,
			strings.TrimSpace(nu.Email), nu.PasswordHash, nu.Name, nu.Role).Scan(&id)
		if err != nil {
			if isUnique(err, "users_email_key") {
				return errs.Wrap(err, errs.Conflict, "an account with this email already exists")
			}
			return classify(err, "user")
		}
		if nu.Role == RoleSeller {
			if _, err := tx.Exec(ctx, `INSERT INTO sellers (user_id, store_name) VALUES ($1, $2)`, id, nu.StoreName); err != nil {
				if isUnique(err, "sellers_store_name_key") {
					return errs.Wrap(err, errs.Conflict, "a store with this name already exists")
				}
				return classify(err, "seller")
			}
		}
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u LEFT JOIN sellers s ON s.user_id = u.id WHERE u.id = $1`, id))
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", nu.Email, err)
	}
	return u, nil
}

// UserByEmail finds a user by email, ignoring case.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(s.Pool.QueryRow(ctx,
		`SELECT `+userColumns+` FROM users u LEFT JOIN sellers s ON s.user_id = u.id WHERE lower(u.email) = lower($1)`,
		strings.TrimSpace(email)))
	if err != nil {
		return User{}, classify(err, "user")
	}
	return u, nil
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	u, err := scanUser(s.Pool.QueryRow(ctx,
		`SELECT `+userColumns+` FROM users u LEFT JOIN sellers s ON s.user_id = u.id WHERE u.id = $1`, id))
	if err != nil {
		return User{}, classify(err, "user")
	}
	return u, nil
}

// EnsureAdmin creates an admin with email unless a user with that email exists. It never
// changes an existing account: promoting someone, or resetting a password, is a deliberate act.
// It reports whether it created the admin.
func (s *Store) EnsureAdmin(ctx context.Context, email, passwordHash string) (bool, error) {
	existing, err := s.UserByEmail(ctx, email)
	switch {
	case err == nil && existing.Role == RoleAdmin:
		return false, nil
	case err == nil:
		return false, errs.E(errs.Conflict, "%s exists with role %s, not admin", email, existing.Role)
	case !errs.Is(err, errs.NotFound):
		return false, err
	}
	if _, err := s.CreateUser(ctx, NewUser{Email: email, PasswordHash: passwordHash, Name: "Administrator", Role: RoleAdmin}); err != nil {
		if errs.Is(err, errs.Conflict) { // created concurrently by another instance
			return false, nil
		}
		return false, err
	}
	return true, nil
}

func isUnique(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == constraint
}

// UserFilter selects a page of users for admins. Empty Role and Status mean any; Status is
// "active" or "disabled". AfterEmail is the last email of the previous page (lower case).
type UserFilter struct {
	Role       string
	Status     string
	AfterEmail string
	Limit      int
}

// ListUsers returns up to f.Limit users in email order, keyset-paged by email.
func (s *Store) ListUsers(ctx context.Context, f UserFilter) ([]User, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+userColumns+` FROM users u LEFT JOIN sellers s ON s.user_id = u.id
		WHERE ($1 = '' OR u.role = $1)
		  AND ($2 = '' OR ($2 = 'disabled') = (u.disabled_at IS NOT NULL))
		  AND lower(u.email) > $3
		ORDER BY lower(u.email)
		LIMIT $4`, f.Role, f.Status, f.AfterEmail, f.Limit)
	if err != nil {
		return nil, sessionErr(err, "list users")
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) { return scanUser(r) })
	if err != nil {
		return nil, sessionErr(err, "list users")
	}
	return users, nil
}

// SetUserRole changes a user's role. A real change revokes every token of the user, so the new
// role, lower or higher, applies to a fresh login only.
func (s *Store) SetUserRole(ctx context.Context, id, role string) (User, error) {
	return s.updateUser(ctx, id, `UPDATE users SET role = $2,
		token_version = token_version + CASE WHEN role <> $2 THEN 1 ELSE 0 END, updated_at = now()
		WHERE id = $1`, role)
}

// SetUserDisabled disables or re-enables an account. Disabling revokes every token of the user;
// re-enabling brings none back: the user logs in again.
func (s *Store) SetUserDisabled(ctx context.Context, id string, disabled bool) (User, error) {
	return s.updateUser(ctx, id, `UPDATE users SET
		token_version = token_version + CASE WHEN $2 AND disabled_at IS NULL THEN 1 ELSE 0 END,
		disabled_at = CASE WHEN $2 THEN COALESCE(disabled_at, now()) END, updated_at = now()
		WHERE id = $1`, disabled)
}

// ChangePassword stores a new password hash and revokes every token of the user, so a thief
// holding a session loses it when the owner changes the password.
func (s *Store) ChangePassword(ctx context.Context, id, passwordHash string) (User, error) {
	return s.updateUser(ctx, id, `UPDATE users SET password_hash = $2, token_version = token_version + 1, updated_at = now()
		WHERE id = $1`, passwordHash)
}

// updateUser runs one UPDATE of the user id (arguments $1 = id, $2 = arg) and returns the user.
func (s *Store) updateUser(ctx context.Context, id, update string, arg any) (User, error) {
	var u User
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, update, id, arg)
		if err != nil {
			return classify(err, "user")
		}
		if tag.RowsAffected() == 0 {
			return errs.E(errs.NotFound, "user not found")
		}
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u LEFT JOIN sellers s ON s.user_id = u.id WHERE u.id = $1`, id))
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("update user %s: %w", id, err)
	}
	return u, nil
}
