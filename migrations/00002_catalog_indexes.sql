-- +goose Up
-- Every product list filters on status (public lists show only active products) and walks one
-- sort column with id as the tie-breaker, page by page from a keyset cursor. These indexes serve
-- that walk directly, in either direction, instead of sorting every matching row for each page.
-- Sorting by name had no index at all.
CREATE INDEX products_status_created_idx ON products (status, created_at, id);
CREATE INDEX products_status_price_idx ON products (status, price_cents, id);
CREATE INDEX products_status_name_idx ON products (status, name, id);

-- +goose Down
DROP INDEX products_status_name_idx;
DROP INDEX products_status_price_idx;
DROP INDEX products_status_created_idx;
