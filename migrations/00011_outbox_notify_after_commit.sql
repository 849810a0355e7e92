-- +goose Up
-- Announcements of queued notifications move out of the queuing transactions (the triggers of
-- 00008 and 00010) into a statement of their own after the commit (store.AnnounceOutbox): a
-- NOTIFY inside a transaction holds a database-wide lock through the commit's WAL flush, which
-- would make every order commit wait for the one before it.
DROP TRIGGER notification_files_notify ON notification_files;
DROP TRIGGER notification_outbox_notify ON notification_outbox;
DROP FUNCTION shopflow_outbox_notify();

-- +goose Down
-- +goose StatementBegin
CREATE FUNCTION shopflow_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('shopflow_outbox', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER notification_outbox_notify AFTER INSERT ON notification_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION shopflow_outbox_notify();
CREATE TRIGGER notification_files_notify AFTER INSERT ON notification_files
    FOR EACH STATEMENT EXECUTE FUNCTION shopflow_outbox_notify();
