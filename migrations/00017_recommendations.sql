-- +goose Up
-- "Customers who bought this also bought": co-occurrence counts over a trailing window of days,
-- kept up to date from new sales only (docs/RECOMMENDATIONS.md).

-- Sale lines not yet counted. Filled by a statement trigger on sales_facts in the transaction
-- that counts the sale, and consumed (deleted) by the job in the transaction that counts them,
-- so every committed line is counted exactly once, whatever order transactions commit in: a
-- recorded_at watermark would miss a line whose transaction began before the watermark and
-- committed after it. No index: the job reads it by block ranges.
CREATE TABLE recs_pending (
    source            text COLLATE "C" NOT NULL,
    external_order_id text COLLATE "C" NOT NULL,
    product_id        bigint NOT NULL,
    ordered_at        timestamptz NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION recs_queue_sales() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO recs_pending (source, external_order_id, product_id, ordered_at)
    SELECT source, external_order_id, product_id, ordered_at FROM new_sales;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- One statement-level trigger per INSERT: a chunk of 50,000 ingested lines adds one
-- INSERT ... SELECT to its transaction, not 50,000 trigger calls.
CREATE TRIGGER recs_queue_sales AFTER INSERT ON sales_facts
    REFERENCING NEW TABLE AS new_sales FOR EACH STATEMENT EXECUTE FUNCTION recs_queue_sales();

-- Sales counted before this migration are queued once; the job ignores those out of its window.
-- Operators: on a large sales_facts this reads the whole table once; run it in a quiet window.
INSERT INTO recs_pending (source, external_order_id, product_id, ordered_at)
SELECT source, external_order_id, product_id, ordered_at FROM sales_facts;

-- Order keys sort and group in the C collation (byte order): a build sorts millions of them,
-- and only their equality matters.
-- The window's orders: each order's distinct products (sorted) and its day (UTC date of its
-- earliest line). An order is the unit of co-occurrence; it is kept so that a line arriving in
-- a later run can be counted against the lines counted before, and so that it can be
-- subtracted again when its day leaves the window. These rows are the day buckets.
CREATE TABLE recs_orders (
    source            text COLLATE "C" NOT NULL,
    external_order_id text COLLATE "C" NOT NULL,
    day               date NOT NULL,
    products          bigint[] NOT NULL,
    PRIMARY KEY (source, external_order_id)
);
CREATE INDEX recs_orders_day_idx ON recs_orders (day);

-- How many of the window's orders hold each product.
CREATE TABLE recs_items (
    product_id bigint PRIMARY KEY,
    orders     bigint NOT NULL CHECK (orders >= 0),
    -- listed says the product's last published list was not empty (for Meta.Products).
    listed     boolean NOT NULL DEFAULT false
);

-- How many of the window's orders hold both products, each pair once (product_a < product_b).
CREATE TABLE recs_pairs (
    product_a bigint NOT NULL,
    product_b bigint NOT NULL,
    orders    bigint NOT NULL CHECK (orders >= 0),
    PRIMARY KEY (product_a, product_b),
    CHECK (product_a < product_b)
);
-- A list reads the pairs of its product that reach the minimum support (2 or more). Most pairs
-- are seen in one order: these partial indexes hold only the others, so a list costs what it
-- holds, not everything its product was ever bought with, and the indexes stay small.
CREATE INDEX recs_pairs_a_support_idx ON recs_pairs (product_a, orders) WHERE orders >= 2;
CREATE INDEX recs_pairs_b_support_idx ON recs_pairs (product_b, orders) WHERE orders >= 2;

-- Products whose list must be recomputed and republished. seq tells a publisher whether the
-- product was marked again after it read it (then the mark stays for the next chunk or run).
CREATE SEQUENCE recs_dirty_seq;
CREATE TABLE recs_dirty (
    product_id bigint PRIMARY KEY,
    seq        bigint NOT NULL DEFAULT nextval('recs_dirty_seq')
);

-- The first day of the window the counts cover (one row).
CREATE TABLE recs_state (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    window_start date NOT NULL
);

-- +goose Down
DROP TABLE recs_state;
DROP TABLE recs_dirty;
DROP SEQUENCE recs_dirty_seq;
DROP TABLE recs_pairs;
DROP TABLE recs_items;
DROP TABLE recs_orders;
DROP TRIGGER recs_queue_sales ON sales_facts;
DROP FUNCTION recs_queue_sales();
DROP TABLE recs_pending;
