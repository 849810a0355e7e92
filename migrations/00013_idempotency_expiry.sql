-- Idempotency keys expire (SHOPFLOW_IDEMPOTENCY_TTL) and a claim abandoned by a crashed request
-- can be taken over after a lease: both look at when the key was claimed, so it is indexed for
-- the cleanup Schedule's deletes.
-- +goose Up
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- +goose Down
DROP INDEX idempotency_keys_created_idx;
