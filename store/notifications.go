package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
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

// OutboxItem is a notification queued by a business event (checkout, fulfilment, stock).
type OutboxItem struct {
	ID          int64           `json:"id"`
	Key         string          `json:"key"`
	RecipientID string          `json:"recipient_id"`
	Kind        string          `json:"kind"`
	Payload     json.RawMessage `json:"payload"`
	CreatedAt   time.Time       `json:"created_at"`
}

// QueuedOutbox returns up to limit queued outbox items after id afterID, oldest first.
func (s *Store) QueuedOutbox(ctx context.Context, afterID int64, limit int) ([]OutboxItem, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, key, recipient_id::text, kind, payload, created_at
		FROM notification_outbox WHERE status = 'queued' AND id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("queued outbox: %w", classify(err, "outbox"))
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OutboxItem, error) {
		var it OutboxItem
		err := r.Scan(&it.ID, &it.Key, &it.RecipientID, &it.Kind, &it.Payload, &it.CreatedAt)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("queued outbox: %w", classify(err, "outbox"))
	}
	return items, nil
}

// FinishOutbox marks a queued outbox item sent or failed.
func (s *Store) FinishOutbox(ctx context.Context, id int64, status string) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE notification_outbox SET status = $2 WHERE id = $1 AND status = 'queued'`, id, status); err != nil {
		return fmt.Errorf("finish outbox %d: %w", id, classify(err, "outbox"))
	}
	return nil
}

// NotificationFile is a submitted notification file and, once delivered, its per-row results.
type NotificationFile struct {
	ID         string                  `json:"id"`
	SHA256     string                  `json:"sha256"`
	Format     string                  `json:"format"`
	Status     string                  `json:"status"`
	Rows       int                     `json:"rows"`
	Sent       int                     `json:"sent"`
	Duplicates int                     `json:"duplicates"`
	Failed     int                     `json:"failed"`
	Rejected   int                     `json:"rejected"`
	Results    []NotificationRowResult `json:"results"`
	CreatedAt  time.Time               `json:"created_at"`
	FinishedAt *time.Time              `json:"finished_at"`
}

// NotificationRowResult is what happened to one row of a notification file.
type NotificationRowResult struct {
	Row       int    `json:"row"`
	Recipient string `json:"recipient"`
	Channel   string `json:"channel"`
	// Status is sent, duplicate (the same file's row was sent before), failed (the provider
	// refused it for good), rejected (bad row) or retry (a transient failure outlasted the
	// retries; submitting the same file again resumes it).
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// NotificationFileRow is one valid row of a notification file, awaiting delivery.
type NotificationFileRow struct {
	Row       int    `json:"row"`
	Recipient string `json:"recipient"`
	Channel   string `json:"channel"`
	Subject   string `json:"subject,omitempty"`
	Message   string `json:"message"`
}

// CreateNotificationFile registers a file for delivery: its valid rows, and the results of its
// bad rows (already final).
func (s *Store) CreateNotificationFile(ctx context.Context, sha, format, submittedBy string,
	rows []NotificationFileRow, rejected []NotificationRowResult) (string, error) {
	var by *string
	if submittedBy != "" {
		by = &submittedBy
	}
	if rows == nil {
		rows = []NotificationFileRow{}
	}
	if rejected == nil {
		rejected = []NotificationRowResult{}
	}
	rawRows, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("create notification file: %w", err)
	}
	rawResults, err := json.Marshal(rejected)
	if err != nil {
		return "", fmt.Errorf("create notification file: %w", err)
	}
	var id string
	err = s.Pool.QueryRow(ctx, `INSERT INTO notification_files (sha256, format, submitted_by, rows_total, rejected, rows, results)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text`,
		sha, format, by, len(rows)+len(rejected), len(rejected), rawRows, rawResults).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("create notification file: %w", classify(err, "notification file"))
	}
	s.AnnounceOutbox(ctx)
	return id, nil
}

// PendingNotificationFile is a file whose rows are still to be delivered.
type PendingNotificationFile struct {
	ID       string
	SHA256   string
	Rows     []NotificationFileRow
	Rejected []NotificationRowResult
}

// PendingNotificationFiles returns up to limit files awaiting delivery, oldest first.
func (s *Store) PendingNotificationFiles(ctx context.Context, limit int) ([]PendingNotificationFile, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id::text, sha256, rows, results FROM notification_files
		WHERE status = 'processing' ORDER BY created_at LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("pending notification files: %w", classify(err, "notification files"))
	}
	files, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PendingNotificationFile, error) {
		var f PendingNotificationFile
		var rawRows, rawResults []byte
		if err := r.Scan(&f.ID, &f.SHA256, &rawRows, &rawResults); err != nil {
			return f, err
		}
		if err := json.Unmarshal(rawRows, &f.Rows); err != nil {
			return f, err
		}
		return f, json.Unmarshal(rawResults, &f.Rejected)
	})
	if err != nil {
		return nil, fmt.Errorf("pending notification files: %w", classify(err, "notification files"))
	}
	return files, nil
}

// FinishNotificationFile stores the file's per-row results and counts.
func (s *Store) FinishNotificationFile(ctx context.Context, id string, results []NotificationRowResult) error {
	count := map[string]int{}
	for _, r := range results {
		count[r.Status]++
	}
	raw, err := json.Marshal(results)
	if err != nil {
		return fmt.Errorf("finish notification file %s: %w", id, err)
	}
	_, err = s.Pool.Exec(ctx, `UPDATE notification_files SET status = 'done', rows_total = $2, sent = $3, duplicates = $4,
		failed = $5::int + $7::int, rejected = $6, results = $8, finished_at = now() WHERE id = $1 AND status = 'processing'`,
		id, len(results), count["sent"], count["duplicate"], count["failed"], count["rejected"], count["retry"], raw)
	if err != nil {
		return fmt.Errorf("finish notification file %s: %w", id, classify(err, "notification file"))
	}
	return nil
}

// NotificationFileByID returns a notification file with its results.
func (s *Store) NotificationFileByID(ctx context.Context, id string) (NotificationFile, error) {
	if _, err := uuid.Parse(id); err != nil {
		return NotificationFile{}, errs.E(errs.NotFound, "notification file %q not found", id)
	}
	var f NotificationFile
	var raw []byte
	err := s.Pool.QueryRow(ctx, `SELECT id::text, sha256, format, status, rows_total, sent, duplicates, failed, rejected,
		results, created_at, finished_at FROM notification_files WHERE id = $1`, id).
		Scan(&f.ID, &f.SHA256, &f.Format, &f.Status, &f.Rows, &f.Sent, &f.Duplicates, &f.Failed, &f.Rejected, &raw, &f.CreatedAt, &f.FinishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, errs.E(errs.NotFound, "notification file %q not found", id)
	}
	if err != nil {
		return f, fmt.Errorf("notification file %s: %w", id, classify(err, "notification file"))
	}
	if err := json.Unmarshal(raw, &f.Results); err != nil {
		return f, fmt.Errorf("notification file %s results: %w", id, err)
	}
	return f, nil
}

// OutboxChannel is the Postgres channel on which queued notifications are announced to the
// workers (worker.OutboxPush LISTENs on it).
const OutboxChannel = "shopflow_outbox"

// AnnounceOutbox tells listening workers that notifications were queued (outbox items or a
// notification file), so they deliver them now rather than at the next one-minute Schedule
// run. It is called after the queuing transaction committed, as a statement of its own: a
// NOTIFY inside a transaction holds a database-wide lock from the start of its commit to the
// end, WAL flush included, so every order commit would wait for the one before it; a NOTIFY on
// its own writes no WAL. A lost announcement costs latency, not a notification: the Schedule
// drains anyway, so its error is not the caller's concern.
func (s *Store) AnnounceOutbox(ctx context.Context) {
	_, _ = s.Pool.Exec(context.WithoutCancel(ctx), `SELECT pg_notify($1, '')`, OutboxChannel)
}

// drainLockKey is the advisory lock held by whoever delivers queued notifications or files.
const drainLockKey int64 = 0x5368_6f70_4f75_7462 // "ShopOutb"

// WithDrainLock runs fn while holding the deployment-wide lock of notification delivery, so the
// pushed drain and the Schedule's never work side by side: two drains meeting on one item would
// each see the other's send in flight, and could settle the item (or a file's results) wrongly.
// It waits for the lock as long as ctx allows. The lock is a session lock on a connection of
// its own; if that connection dies, Postgres releases the lock with it.
func (s *Store) WithDrainLock(ctx context.Context, fn func() error) error {
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("drain lock: %w", classify(err, "drain lock"))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, drainLockKey); err != nil {
		return fmt.Errorf("drain lock: %w", classify(err, "drain lock"))
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, drainLockKey); err != nil {
			// A connection that may still hold the lock must not go back to the pool.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	return fn()
}
