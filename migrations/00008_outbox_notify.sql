-- +goose Up
-- Real-time delivery of queued notifications: every statement that queues outbox items tells
-- listening workers (LISTEN shopflow_outbox) when it commits, and they start a drain at once
-- instead of waiting for the one-minute Schedule, which stays as the safety net.

-- +goose StatementBegin
CREATE FUNCTION shopflow_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One notification per statement (not per row); Postgres also folds equal notifications of
    -- one transaction into one.
    PERFORM pg_notify('shopflow_outbox', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER notification_outbox_notify AFTER INSERT ON notification_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION shopflow_outbox_notify();

-- +goose Down
DROP TRIGGER notification_outbox_notify ON notification_outbox;
DROP FUNCTION shopflow_outbox_notify();
