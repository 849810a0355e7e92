package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// Notification statuses. A send is queued when its key is stored, sending while a provider call
// is in flight, and sent or failed (permanently) after it.
const (
	NotificationQueued  = "queued"
	NotificationSending = "sending"
	NotificationSent    = "sent"
	NotificationFailed  = "failed"
)

// Notification is one message on one channel, keyed for idempotency.
type Notification struct {
	ID          int64      `json:"id"`
	Key         string     `json:"-"`
	RecipientID *string    `json:"-"`
	Address     string     `json:"-"`
	Channel     string     `json:"channel"`
	Kind        string     `json:"kind"`
	Subject     string     `json:"subject"`
	Body        string     `json:"body"`
	HTML        string     `json:"-"`
	Status      string     `json:"-"`
	Attempts    int        `json:"-"`
	LastError   string     `json:"-"`
	CreatedAt   time.Time  `json:"created_at"`
	SentAt      *time.Time `json:"-"`
	ReadAt      *time.Time `json:"read_at"`

	// Inline are the images HTML shows by cid:; part of the email, not of the inbox's JSON.
	Inline []NotificationImage `json:"-"`
}

// NewNotification is a send about to be attempted.
type NewNotification struct {
	Key         string
	RecipientID string // a user id, or empty when sending to a bare address
	Address     string
	Channel     string
	Kind        string
	Subject     string
	Body        string
	HTML        string
	Inline      []NotificationImage
}

// NotificationImage is an image a notification's HTML shows inline by Content-ID. It is stored
// with the message (column inline_images, a JSON array; Data as base64) because a resumed send
// must carry exactly the images of the first attempt.
type NotificationImage struct {
	ContentID   string `json:"content_id"`
	ContentType string `json:"content_type"`
	Filename    string `json:"filename,omitempty"`
	Data        []byte `json:"data"`
}

const notificationColumns = `id, idempotency_key, recipient_id::text, address, channel, kind, subject, body, html,
	inline_images, status, attempts, last_error, created_at, sent_at, read_at`

func scanNotification(row pgx.Row) (Notification, error) {
	var n Notification
	err := row.Scan(&n.ID, &n.Key, &n.RecipientID, &n.Address, &n.Channel, &n.Kind, &n.Subject, &n.Body, &n.HTML,
		&n.Inline, &n.Status, &n.Attempts, &n.LastError, &n.CreatedAt, &n.SentAt, &n.ReadAt)
	return n, err
}

// RecordNotification stores the send's idempotency key with status queued. It returns the
// stored row and whether this call created it; an existing key leaves the row untouched, so
// whoever inserted it first owns the send.
func (s *Store) RecordNotification(ctx context.Context, n NewNotification) (Notification, bool, error) {
	var recipient *string
	if n.RecipientID != "" {
		recipient = &n.RecipientID
	}
	inline := n.Inline
	if inline == nil {
		inline = []NotificationImage{} // the column holds an array, never JSON null
	}
	row, err := scanNotification(s.Pool.QueryRow(ctx, `
		INSERT INTO notifications (idempotency_key, recipient_id, address, channel, kind, subject, body, html, inline_images)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING `+notificationColumns, n.Key, recipient, n.Address, n.Channel, n.Kind, n.Subject, n.Body, n.HTML, inline))
	if err == nil {
		return row, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Notification{}, false, fmt.Errorf("record notification %s: %w", n.Key, classify(err, "notification"))
	}
	row, err = scanNotification(s.Pool.QueryRow(ctx, `SELECT `+notificationColumns+` FROM notifications WHERE idempotency_key = $1`, n.Key))
	if err != nil {
		return Notification{}, false, fmt.Errorf("load notification %s: %w", n.Key, classify(err, "notification"))
	}
	return row, false, nil
}

// StartNotificationAttempt moves a queued notification to sending and counts the attempt. It
// reports false when the notification is not queued (another worker holds it, or it is done),
// in which case the caller must not call the provider.
func (s *Store) StartNotificationAttempt(ctx context.Context, id int64) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `
		UPDATE notifications SET status = 'sending', attempts = attempts + 1, updated_at = now()
		WHERE id = $1 AND status = 'queued'`, id)
	if err != nil {
		return false, fmt.Errorf("start notification %d: %w", id, classify(err, "notification"))
	}
	return tag.RowsAffected() == 1, nil
}

// FinishNotificationAttempt records the outcome of the attempt in flight: sent, failed
// (permanently), or queued again (a transient failure, to be retried).
func (s *Store) FinishNotificationAttempt(ctx context.Context, id int64, status, lastError string) error {
	_, err := s.Pool.Exec(ctx, `
		UPDATE notifications SET status = $2, last_error = $3, updated_at = now(),
		       sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END
		WHERE id = $1 AND status = 'sending'`, id, status, lastError)
	if err != nil {
		return fmt.Errorf("finish notification %d: %w", id, classify(err, "notification"))
	}
	return nil
}

// InboxFilter selects a page of a user's in-app notifications, newest first.
type InboxFilter struct {
	UserID     string
	UnreadOnly bool
	Limit      int
	Cursor     string
}

// InboxPage is one page of in-app notifications; NextCursor is nil on the last page.
type InboxPage struct {
	Items      []Notification `json:"items"`
	NextCursor *string        `json:"next_cursor"`
}

// Inbox pages through the user's delivered in-app notifications, newest first (keyset on id).
func (s *Store) Inbox(ctx context.Context, f InboxFilter) (InboxPage, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	var before int64 = 1<<63 - 1
	if f.Cursor != "" {
		id, err := decodeInboxCursor(f.Cursor, f.UnreadOnly)
		if err != nil {
			return InboxPage{}, err
		}
		before = id
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+notificationColumns+` FROM notifications
		WHERE recipient_id = $1 AND channel = 'inapp' AND status = 'sent' AND id < $2
		  AND (NOT $3 OR read_at IS NULL)
		ORDER BY id DESC LIMIT $4`, f.UserID, before, f.UnreadOnly, f.Limit+1)
	if err != nil {
		return InboxPage{}, fmt.Errorf("inbox of %s: %w", f.UserID, classify(err, "notifications"))
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notification, error) { return scanNotification(r) })
	if err != nil {
		return InboxPage{}, fmt.Errorf("inbox of %s: %w", f.UserID, classify(err, "notifications"))
	}
	page := InboxPage{Items: items}
	if len(items) > f.Limit {
		page.Items = items[:f.Limit]
		next := encodeInboxCursor(page.Items[f.Limit-1].ID, f.UnreadOnly)
		page.NextCursor = &next
	}
	return page, nil
}

// inboxCursor is the last id of a page and the filter it was made under, so a cursor from an
// unread-only list is refused by the full list and the other way round.
func encodeInboxCursor(id int64, unread bool) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatBool(unread) + ":" + strconv.FormatInt(id, 10)))
}

func decodeInboxCursor(cursor string, unread bool) (int64, error) {
	bad := invalidParam("cursor", "is not a cursor this list gave out")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, bad
	}
	prefix := strconv.FormatBool(unread) + ":"
	if len(b) <= len(prefix) || string(b[:len(prefix)]) != prefix {
		return 0, bad
	}
	id, err := strconv.ParseInt(string(b[len(prefix):]), 10, 64)
	if err != nil || id <= 0 {
		return 0, bad
	}
	return id, nil
}

// MarkNotificationRead marks the user's in-app notification read (once; a second call keeps the
// first time). Another user's notification is not found, exactly like a missing one.
func (s *Store) MarkNotificationRead(ctx context.Context, userID string, id int64) (Notification, error) {
	n, err := scanNotification(s.Pool.QueryRow(ctx, `
		UPDATE notifications SET read_at = coalesce(read_at, now()), updated_at = now()
		WHERE id = $1 AND recipient_id = $2 AND channel = 'inapp' AND status = 'sent'
		RETURNING `+notificationColumns, id, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Notification{}, errs.E(errs.NotFound, "notification %d not found", id)
	}
	if err != nil {
		return Notification{}, fmt.Errorf("read notification %d: %w", id, classify(err, "notification"))
	}
	return n, nil
}

// Notification channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	ChannelInApp = "inapp"
)

// NotificationPreferences are a seller's chosen channels and addresses. Email empty means the
// account's email.
type NotificationPreferences struct {
	Channels  []string   `json:"channels"`
	Email     string     `json:"email"`
	Phone     string     `json:"phone"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// DefaultNotificationPreferences apply to a seller that never set any: in-app only.
func DefaultNotificationPreferences() NotificationPreferences {
	return NotificationPreferences{Channels: []string{ChannelInApp}}
}

// NotificationPreferences returns the seller's preferences, or the defaults.
func (s *Store) NotificationPreferences(ctx context.Context, sellerID string) (NotificationPreferences, error) {
	var p NotificationPreferences
	err := s.Pool.QueryRow(ctx, `SELECT channels, email, phone, updated_at FROM notification_preferences WHERE seller_id = $1`,
		sellerID).Scan(&p.Channels, &p.Email, &p.Phone, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultNotificationPreferences(), nil
	}
	if err != nil {
		return p, fmt.Errorf("notification preferences of %s: %w", sellerID, classify(err, "notification preferences"))
	}
	return p, nil
}

// PutNotificationPreferences replaces the seller's preferences; the caller has validated them.
func (s *Store) PutNotificationPreferences(ctx context.Context, sellerID string, p NotificationPreferences) (NotificationPreferences, error) {
	if p.Channels == nil {
		p.Channels = []string{}
	}
	err := s.Pool.QueryRow(ctx, `
		INSERT INTO notification_preferences (seller_id, channels, email, phone) VALUES ($1, $2, $3, $4)
		ON CONFLICT (seller_id) DO UPDATE SET channels = EXCLUDED.channels, email = EXCLUDED.email,
		       phone = EXCLUDED.phone, updated_at = now()
		RETURNING channels, email, phone, updated_at`, sellerID, p.Channels, p.Email, p.Phone).
		Scan(&p.Channels, &p.Email, &p.Phone, &p.UpdatedAt)
	if err != nil {
		return p, fmt.Errorf("save notification preferences of %s: %w", sellerID, classify(err, "notification preferences"))
	}
	return p, nil
}

// Contact is where a user can be reached: its account email and, for a seller, its preferences.
type Contact struct {
	UserID   string
	Email    string
	SellerID string // empty unless the user is a seller
	Prefs    NotificationPreferences
}

// ContactOf returns how to reach the user named by id (a UUID) or by account email.
func (s *Store) ContactOf(ctx context.Context, idOrEmail string) (Contact, error) {
	where := `lower(u.email) = lower($1)`
	if _, err := uuid.Parse(idOrEmail); err == nil {
		where = `u.id = $1::uuid`
	}
	var c Contact
	var sellerID *string
	err := s.Pool.QueryRow(ctx, `SELECT u.id::text, u.email, s.id::text FROM users u
		LEFT JOIN sellers s ON s.user_id = u.id WHERE `+where, idOrEmail).Scan(&c.UserID, &c.Email, &sellerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, errs.E(errs.NotFound, "no user %q", idOrEmail)
	}
	if err != nil {
		return c, fmt.Errorf("contact of %s: %w", idOrEmail, classify(err, "user"))
	}
	c.Prefs = DefaultNotificationPreferences()
	if sellerID != nil {
		c.SellerID = *sellerID
		if c.Prefs, err = s.NotificationPreferences(ctx, c.SellerID); err != nil {
			return c, err
		}
	}
	return c, nil
}
