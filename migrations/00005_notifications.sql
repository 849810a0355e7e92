-- +goose Up
-- The notification service: one row per send (its idempotency key stored before the provider is
-- called), sellers' channel preferences, and notification files submitted by admins.

-- One row per message on one channel. The key (recipient:kind:period:channel) is inserted before
-- the provider is called, so a retried or rerun send finds it and sends nothing twice. In-app
-- rows are the in-app inbox itself (read_at marks them read).
CREATE TABLE notifications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    recipient_id    uuid REFERENCES users (id) ON DELETE CASCADE,
    -- Where the message went: an email address or an E.164 number; empty for in-app.
    address         text NOT NULL DEFAULT '',
    channel         text NOT NULL CHECK (channel IN ('email', 'sms', 'inapp')),
    kind            text NOT NULL,
    subject         text NOT NULL DEFAULT '',
    body            text NOT NULL DEFAULT '',
    html            text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    read_at         timestamptz,
    CHECK (channel <> 'inapp' OR recipient_id IS NOT NULL)
);
-- The in-app inbox, newest first.
CREATE INDEX notifications_inbox_idx ON notifications (recipient_id, id DESC) WHERE channel = 'inapp';

-- A seller's chosen channels and addresses; absent means in-app only, to the account email.
CREATE TABLE notification_preferences (
    seller_id  uuid PRIMARY KEY REFERENCES sellers (id) ON DELETE CASCADE,
    channels   text[] NOT NULL DEFAULT '{inapp}'
        CHECK (channels <@ ARRAY['email', 'sms', 'inapp']::text[]),
    email      text NOT NULL DEFAULT '',
    phone      text NOT NULL DEFAULT '' CHECK (phone = '' OR phone ~ '^\+[1-9][0-9]{6,14}$'),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A notification file submitted by an admin, and its per-row results once delivered.
CREATE TABLE notification_files (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sha256       text NOT NULL,
    format       text NOT NULL CHECK (format IN ('csv', 'ndjson')),
    status       text NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'done')),
    rows_total   integer NOT NULL DEFAULT 0,
    sent         integer NOT NULL DEFAULT 0,
    duplicates   integer NOT NULL DEFAULT 0,
    failed       integer NOT NULL DEFAULT 0,
    rejected     integer NOT NULL DEFAULT 0,
    -- The file's valid rows awaiting delivery ({row, recipient, channel, message}), and the
    -- per-row results: bad rows at submission, the rest once delivered.
    rows         jsonb NOT NULL DEFAULT '[]',
    results      jsonb NOT NULL DEFAULT '[]',
    submitted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

CREATE INDEX notification_files_processing_idx ON notification_files (created_at) WHERE status = 'processing';

-- +goose Down
DROP TABLE notification_files;
DROP TABLE notification_preferences;
DROP TABLE notifications;
