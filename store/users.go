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
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	SellerID     *string   `json:"seller_id,omitempty"`
	StoreName    *string   `json:"store_name,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	PasswordHash string    `json:"-"`
}

// NewUser is what CreateUser needs; StoreName is required for sellers and ignored otherwise.
type NewUser struct {
	Email        string
	PasswordHash string
	Name         string
	Role         string
	StoreName    string
}

const userColumns = `u.id, u.email, u.name, u.role, s.id, s.store_name, u.created_at, u.password_hash`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.SellerID, &u.StoreName, &u.CreatedAt, &u.PasswordHash)
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
