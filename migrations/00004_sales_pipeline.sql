-- +goose Up
-- Sales pipeline: hourly rollups maintained as sales are counted, batch ingest bookkeeping,
-- and API keys for machine clients (the ingest role).

-- Units and revenue per hour, product and currency, with the product's category and seller at
-- the time of sale. Every path that counts a sale adds to it in the same statement, so ranking
-- reads hours, not raw facts: its cost grows with new sales, not with history.
CREATE TABLE sales_hourly (
    hour          timestamptz NOT NULL,
    product_id    bigint NOT NULL,
    currency      char(3) NOT NULL,
    category_id   bigint NOT NULL,
    seller_id     uuid NOT NULL,
    units         bigint NOT NULL CHECK (units >= 0),
    revenue_cents bigint NOT NULL CHECK (revenue_cents >= 0),
    lines         bigint NOT NULL CHECK (lines >= 0),
    PRIMARY KEY (hour, product_id, currency),
    CHECK (hour = date_trunc('hour', hour))
);
CREATE INDEX sales_hourly_category_idx ON sales_hourly (category_id, hour);
CREATE INDEX sales_hourly_seller_idx ON sales_hourly (seller_id, hour);

-- The checkout's sales so far, rolled up, so the table starts complete.
INSERT INTO sales_hourly (hour, product_id, currency, category_id, seller_id, units, revenue_cents, lines)
SELECT date_trunc('hour', ordered_at), product_id, currency, min(category_id), min(seller_id::text)::uuid,
       sum(quantity), sum(quantity * unit_price_cents), count(*)
FROM sales_facts GROUP BY 1, 2, 3;

-- Order files submitted for ingest. A file is identified by its content: the same bytes
-- submitted twice are one batch.
CREATE TABLE ingest_batches (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sha256       text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    filename     text NOT NULL,
    format       text NOT NULL CHECK (format IN ('csv', 'ndjson')),
    path         text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes >= 0),
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    -- Progress, committed with each chunk's rows: a resumed worker starts at offset_bytes.
    offset_bytes bigint NOT NULL DEFAULT 0,
    lines_read   bigint NOT NULL DEFAULT 0,
    accepted     bigint NOT NULL DEFAULT 0,
    duplicates   bigint NOT NULL DEFAULT 0,
    rejected     bigint NOT NULL DEFAULT 0,
    error_path   text,
    failure      text,
    submitted_by text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

-- Keys for machine clients, such as the existing shop's order feed (role ingest). Only a hash
-- of the key is kept.
CREATE TABLE api_keys (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    key_hash   text NOT NULL UNIQUE,
    role       text NOT NULL CHECK (role IN ('ingest')),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE ingest_batches;
DROP TABLE sales_hourly;
