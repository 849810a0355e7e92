package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErasedEmail is the address an erased account keeps: unique per account, and .invalid so no
// mail can ever be sent to it.
func ErasedEmail(userID string) string { return "erased-" + userID + "@erased.invalid" }

// erasedPassword is no bcrypt hash: no password ever checks against it.
const erasedPassword = "!erased"

// eraseStatements are each database step's statements; $1 is the user id, $2 the account's
// email and $3 its name as they are before the profile step. Each counts the rows it touched.
var eraseStatements = map[string][]string{
	// Signed out everywhere, and no new sign-in: every access token carries the old version.
	EraseSessions: {
		`UPDATE users SET token_version = token_version + 1, disabled_at = coalesce(disabled_at, now()), updated_at = now()
			WHERE id = $1`,
		`DELETE FROM refresh_families WHERE user_id = $1`,
	},
	EraseCart: {
		`DELETE FROM cart_items WHERE cart_id IN (SELECT id FROM carts WHERE user_id = $1)`,
		`DELETE FROM carts WHERE user_id = $1`,
	},
	EraseWishlist: {
		`DELETE FROM wishlist_items WHERE wishlist_id IN (SELECT id FROM wishlists WHERE user_id = $1)`,
		`DELETE FROM wishlists WHERE user_id = $1`,
	},
	EraseReviews: {},
	// The send log and inbox (rows to the account, and rows to its address sent with no
	// account, as notification files may), queued notices, and the account's rows of
	// notification files (matched by id or email: a row's message is the customer's too).
	// Others' notifications about the customer (a seller's "new review" quoting its title
	// with the name) keep their text with the name and email replaced; a name of under three
	// characters is left, as replacing it would garble unrelated messages.
	EraseNotifications: {
		`UPDATE notifications SET
			subject = replace(replace(replace(subject, ` + nameOrNothing + `, '[erased]'), $2, '[erased]'), lower($2), '[erased]'),
			body = replace(replace(replace(body, ` + nameOrNothing + `, '[erased]'), $2, '[erased]'), lower($2), '[erased]'),
			html = replace(replace(replace(html, ` + nameOrNothing + `, '[erased]'), $2, '[erased]'), lower($2), '[erased]')
			WHERE recipient_id IS DISTINCT FROM $1 AND (
				(length($3) >= 3 AND strpos(subject || body || html, $3) > 0) OR strpos(lower(subject || body || html), lower($2)) > 0)`,
		`UPDATE notification_outbox SET payload = replace(replace(replace(payload::text, ` + nameOrNothing + `, '[erased]'),
				$2, '[erased]'), lower($2), '[erased]')::jsonb
			WHERE recipient_id <> $1 AND ((length($3) >= 3 AND strpos(payload::text, $3) > 0) OR strpos(lower(payload::text), lower($2)) > 0)`,
		`DELETE FROM notifications WHERE recipient_id = $1 OR (recipient_id IS NULL AND lower(address) = lower($2))`,
		`DELETE FROM notification_outbox WHERE recipient_id = $1`,
		`UPDATE notification_files SET
			rows = (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]') FROM jsonb_array_elements(rows) WITH ORDINALITY AS x(e, n)
				WHERE lower(e->>'recipient') NOT IN (lower($1::text), lower($2))),
			results = (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]') FROM jsonb_array_elements(results) WITH ORDINALITY AS x(e, n)
				WHERE lower(e->>'recipient') NOT IN (lower($1::text), lower($2)))
			WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(rows || results) e
				WHERE lower(e->>'recipient') IN (lower($1::text), lower($2)))`,
	},
	EraseExports: {`DELETE FROM data_exports WHERE user_id = $1`},
	// Stored responses of the account's POSTs may echo what it sent (names, addresses); the
	// API scopes every key "<user id> <method> <route>".
	EraseIdempotency: {`DELETE FROM idempotency_keys WHERE scope LIKE $1::text || ' %'`},
	// Returns keep their lines and amounts (refunds point at them); their free text goes.
	EraseReturns: {
		`UPDATE return_lines SET reason = '' WHERE reason <> '' AND return_id IN (SELECT id FROM returns WHERE customer_id = $1)`,
		`UPDATE returns SET reason = '', decision_note = '', tracking = '', updated_at = now() WHERE customer_id = $1
			AND (reason <> '' OR decision_note <> '' OR tracking <> '')`,
	},
	// Orders keep every amount (the law wants them, and the sales facts and reports count
	// them); the address, the client's IP and the reviewer's note about the person go.
	EraseOrders: {
		`UPDATE orders SET shipping_address = '{}', client_ip = NULL, fraud_review_note = '', updated_at = now()
			WHERE customer_id = $1 AND (shipping_address <> '{}' OR client_ip IS NOT NULL OR fraud_review_note <> '')`,
	},
	ErasePreferences: {`DELETE FROM marketing_preferences WHERE user_id = $1`},
	EraseRedis:       {},
	// The row stays (orders, returns and audit records point at it) without the person.
	EraseProfile: {
		`UPDATE users SET email = 'erased-' || id::text || '@erased.invalid', name = '', password_hash = '` + erasedPassword + `',
			token_version = token_version + 1, disabled_at = coalesce(disabled_at, now()), updated_at = now() WHERE id = $1`,
	},
}

// nameOrNothing is the name when it is long enough to replace safely, else a string no text holds.
const nameOrNothing = `CASE WHEN length($3) >= 3 THEN $3 ELSE chr(1) END`

// eraseInTx runs the step's statements and adds up the rows they touched.
func eraseInTx(ctx context.Context, tx pgx.Tx, userID, step string) (int64, error) {
	stmts, ok := eraseStatements[step]
	if !ok {
		return 0, fmt.Errorf("unknown erasure step %q", step)
	}
	var email, name string
	if err := tx.QueryRow(ctx, `SELECT email, name FROM users WHERE id = $1`, userID).Scan(&email, &name); err != nil {
		return 0, classify(err, "user")
	}
	var n int64
	for _, q := range stmts {
		args := []any{userID}
		if strings.Contains(q, "$3") {
			args = append(args, email, name)
		} else if strings.Contains(q, "$2") {
			args = append(args, email)
		}
		tag, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return 0, err
		}
		n += tag.RowsAffected()
	}
	return n, nil
}
