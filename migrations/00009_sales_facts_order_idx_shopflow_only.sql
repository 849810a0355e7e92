-- +goose Up
-- Looking up sales by order is only ever done for Shopflow's own orders (the daily report's
-- refunds: source 'shopflow'). Indexing the lines of every other source cost each ingested line
-- one more B-tree insertion; keep the index for our orders only.
-- Operators: building it reads all of sales_facts while sale writes wait (Postgres cannot build
-- an index of a partitioned table concurrently); on a large table run `shopflow migrate up` in
-- a quiet window, with the API and workers stopped, as for any migration that rebuilds an index.
DROP INDEX sales_facts_order_idx;
CREATE INDEX sales_facts_order_idx ON sales_facts (source, external_order_id) WHERE source = 'shopflow';

-- +goose Down
DROP INDEX sales_facts_order_idx;
CREATE INDEX sales_facts_order_idx ON sales_facts (source, external_order_id);
