-- +goose Up
-- Submitted notification files are delivered by the same drain as the outbox: notify the
-- listening workers on commit (the function of migration 00008), so a file's rows go out at
-- once instead of at the next one-minute Schedule run.
CREATE TRIGGER notification_files_notify AFTER INSERT ON notification_files
    FOR EACH STATEMENT EXECUTE FUNCTION shopflow_outbox_notify();

-- +goose Down
DROP TRIGGER notification_files_notify ON notification_files;
