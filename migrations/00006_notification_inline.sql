-- +goose Up
-- Inline images of a notification (the seller digest's chart), stored with the rest of its
-- content because a queued send that is resumed must send exactly what was stored the first
-- time. A JSON array of {content_id, content_type, filename, data (base64)}; '[]' for messages
-- without images, which is every existing row. A constant default adds the column without
-- rewriting the table.
ALTER TABLE notifications ADD COLUMN inline_images jsonb NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE notifications DROP COLUMN inline_images;
