-- Customers' data rights: exports of everything held about a customer (an archive in report
-- storage behind an expiring link) and erasures (personal data removed or anonymised
-- everywhere, step by step, so a crashed erasure resumes where it stopped). Neither table
-- holds personal data itself: ids, statuses, counts and a hash of the download token.
-- +goose Up
CREATE TABLE data_exports (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'ready', 'failed')),
    -- The archive's name in report storage, once written.
    storage_key text NOT NULL DEFAULT '',
    -- SHA-256 of the download token sent to the customer: a database leak gives no usable link.
    token_hash  bytea CHECK (token_hash IS NULL OR length(token_hash) = 32),
    expires_at  timestamptz,
    -- Rows written so far, and the archive's per-file counts once ready.
    progress    bigint NOT NULL DEFAULT 0 CHECK (progress >= 0),
    counts      jsonb NOT NULL DEFAULT '{}',
    error       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    CHECK ((status = 'ready') = (token_hash IS NOT NULL AND expires_at IS NOT NULL))
);
CREATE INDEX data_exports_user_idx ON data_exports (user_id, created_at DESC);

-- One erasure per user: asking again finds it. steps_done lists the steps finished (each
-- recorded in the transaction that did it, where it is a database step) and counts what each
-- removed; both feed the final audit record.
CREATE TABLE erasures (
    user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE RESTRICT,
    status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done')),
    steps_done   text[] NOT NULL DEFAULT '{}',
    counts       jsonb NOT NULL DEFAULT '{}',
    requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    CHECK ((status = 'done') = (finished_at IS NOT NULL))
);

-- +goose Down
DROP TABLE erasures;
DROP TABLE data_exports;
