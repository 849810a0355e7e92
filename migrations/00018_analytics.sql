-- +goose Up
-- Seller analytics (docs/ANALYTICS.md): rollups that answer per-period units, orders, gross and
-- net revenue without reading the sales facts per request, the sellers' rank history, and the
-- cart starts that carts-to-orders conversion is measured on.

-- Per product and hour: distinct orders and the promotions' discounts, beside the units and
-- revenue the ranking reads.
ALTER TABLE sales_hourly
    ADD COLUMN orders         bigint NOT NULL DEFAULT 0 CHECK (orders >= 0),
    ADD COLUMN discount_cents bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0);

-- Distinct orders cannot be summed from lines: an order may carry several lines of one product
-- or one seller, and its lines may be counted by different calls. Each order's row per hour and
-- currency holds the sellers and products already counted for it; counting more of its lines
-- upserts the row, which locks it, so two transactions counting lines of one order at once take
-- turns and each adds to the rollups only the sellers and products new to the order (new_sellers,
-- new_products: what the last count added, returned to its statement; fresh: the order itself
-- was new). One row per order keeps the checkout and ingest to one more write per order.
CREATE TABLE sale_order_hours (
    source            text NOT NULL,
    external_order_id text NOT NULL,
    currency          char(3) NOT NULL,
    hour              timestamptz NOT NULL,
    sellers           uuid[] NOT NULL,
    products          bigint[] NOT NULL,
    new_sellers       uuid[] NOT NULL,
    new_products      bigint[] NOT NULL,
    fresh             boolean NOT NULL,
    PRIMARY KEY (source, external_order_id, currency, hour)
);

-- Per seller, hour and currency: what a seller's series reads. platform_orders counts the
-- orders whose first counted line in that hour and currency was this seller's, so summed over
-- sellers it counts each order once (an order of two sellers is one platform order) without a
-- platform-wide row every checkout would queue on.
CREATE TABLE seller_sales_hourly (
    seller_id       uuid NOT NULL,
    hour            timestamptz NOT NULL,
    currency        char(3) NOT NULL,
    units           bigint NOT NULL DEFAULT 0 CHECK (units >= 0),
    orders          bigint NOT NULL DEFAULT 0 CHECK (orders >= 0),
    platform_orders bigint NOT NULL DEFAULT 0 CHECK (platform_orders >= 0),
    gross_cents     bigint NOT NULL DEFAULT 0 CHECK (gross_cents >= 0),
    discount_cents  bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0),
    refund_cents    bigint NOT NULL DEFAULT 0 CHECK (refund_cents >= 0),
    PRIMARY KEY (seller_id, hour, currency),
    CHECK (hour = date_trunc('hour', hour))
);
CREATE INDEX seller_sales_hourly_hour_idx ON seller_sales_hourly (hour);

-- Refunds per product and hour of the refund (not of the sale), as the daily reports count them:
-- the value after discount of the sale lines of our own orders that became refunded.
CREATE TABLE refunds_hourly (
    hour         timestamptz NOT NULL,
    product_id   bigint NOT NULL,
    currency     char(3) NOT NULL,
    category_id  bigint NOT NULL,
    seller_id    uuid NOT NULL,
    refund_cents bigint NOT NULL CHECK (refund_cents >= 0),
    lines        bigint NOT NULL CHECK (lines >= 0),
    PRIMARY KEY (hour, product_id, currency)
);
CREATE INDEX refunds_hourly_seller_idx ON refunds_hourly (seller_id, hour);
CREATE INDEX refunds_hourly_category_idx ON refunds_hourly (category_id, hour);

-- The backfill, from the facts counted so far.
UPDATE sales_hourly h SET orders = x.orders, discount_cents = x.discount
FROM (SELECT date_trunc('hour', ordered_at) AS hour, product_id, currency,
             count(DISTINCT (source, external_order_id)) AS orders,
             least(sum(discount_cents), 9223372036854775807)::bigint AS discount
      FROM sales_facts GROUP BY 1, 2, 3) x
WHERE h.hour = x.hour AND h.product_id = x.product_id AND h.currency = x.currency;

INSERT INTO sale_order_hours
SELECT source, external_order_id, currency, date_trunc('hour', ordered_at),
       array_agg(DISTINCT seller_id ORDER BY seller_id), array_agg(DISTINCT product_id ORDER BY product_id), '{}', '{}', false
FROM sales_facts GROUP BY 1, 2, 3, 4;

INSERT INTO seller_sales_hourly (seller_id, hour, currency, units, orders, gross_cents, discount_cents)
SELECT seller_id, date_trunc('hour', ordered_at), currency, sum(quantity),
       count(DISTINCT (source, external_order_id)),
       least(sum(quantity::numeric * unit_price_cents), 9223372036854775807)::bigint,
       least(sum(discount_cents), 9223372036854775807)::bigint
FROM sales_facts GROUP BY 1, 2, 3;

UPDATE seller_sales_hourly s SET platform_orders = x.orders
FROM (SELECT first_seller, hour, currency, count(*) AS orders
      FROM (SELECT date_trunc('hour', ordered_at) AS hour, currency, min(seller_id::text)::uuid AS first_seller
            FROM sales_facts GROUP BY source, external_order_id, 1, 2) o
      GROUP BY 1, 2, 3) x
WHERE s.seller_id = x.first_seller AND s.hour = x.hour AND s.currency = x.currency;

-- +goose StatementBegin
-- count_order_refund adds a refunded order's sale lines to the refund rollups, in the
-- transaction that records the refund. Refunds are order timeline events (status refunded),
-- whoever writes them, so every path that refunds is counted without knowing of analytics.
CREATE FUNCTION count_order_refund() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO refunds_hourly AS r (hour, product_id, currency, category_id, seller_id, refund_cents, lines)
    SELECT date_trunc('hour', NEW.created_at), product_id, currency, min(category_id), min(seller_id::text)::uuid,
           least(sum(quantity::numeric * unit_price_cents - discount_cents), 9223372036854775807)::bigint, count(*)
    FROM sales_facts WHERE source = 'shopflow' AND external_order_id = NEW.order_id::text
    GROUP BY product_id, currency ORDER BY product_id, currency
    ON CONFLICT (hour, product_id, currency) DO UPDATE
    SET refund_cents = least(r.refund_cents::numeric + EXCLUDED.refund_cents, 9223372036854775807)::bigint,
        lines = r.lines + EXCLUDED.lines;

    INSERT INTO seller_sales_hourly AS s (seller_id, hour, currency, refund_cents)
    SELECT seller_id, date_trunc('hour', NEW.created_at), currency,
           least(sum(quantity::numeric * unit_price_cents - discount_cents), 9223372036854775807)::bigint
    FROM sales_facts WHERE source = 'shopflow' AND external_order_id = NEW.order_id::text
    GROUP BY seller_id, currency ORDER BY seller_id, currency
    ON CONFLICT (seller_id, hour, currency) DO UPDATE
    SET refund_cents = least(s.refund_cents::numeric + EXCLUDED.refund_cents, 9223372036854775807)::bigint;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER order_refund_counted AFTER INSERT ON order_events
    FOR EACH ROW WHEN (NEW.status = 'refunded') EXECUTE FUNCTION count_order_refund();

-- Refunds recorded so far.
INSERT INTO refunds_hourly (hour, product_id, currency, category_id, seller_id, refund_cents, lines)
SELECT date_trunc('hour', e.created_at), f.product_id, f.currency, min(f.category_id), min(f.seller_id::text)::uuid,
       least(sum(f.quantity::numeric * f.unit_price_cents - f.discount_cents), 9223372036854775807)::bigint, count(*)
FROM order_events e JOIN sales_facts f ON f.source = 'shopflow' AND f.external_order_id = e.order_id::text
WHERE e.status = 'refunded' GROUP BY 1, 2, 3;
INSERT INTO seller_sales_hourly AS s (seller_id, hour, currency, refund_cents)
SELECT f.seller_id, date_trunc('hour', e.created_at), f.currency,
       least(sum(f.quantity::numeric * f.unit_price_cents - f.discount_cents), 9223372036854775807)::bigint
FROM order_events e JOIN sales_facts f ON f.source = 'shopflow' AND f.external_order_id = e.order_id::text
WHERE e.status = 'refunded' GROUP BY 1, 2, 3
ON CONFLICT (seller_id, hour, currency) DO UPDATE SET refund_cents = EXCLUDED.refund_cents;

-- Each ranked seller's overall rank in every hourly ranking, by the ranking's period (its
-- window's end), written by the hourly ranking beside the rank-change baselines and kept for
-- ranking.RankHistoryRetention.
CREATE TABLE seller_rank_history (
    seller_id  uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    period_end timestamptz NOT NULL,
    rank       integer NOT NULL CHECK (rank > 0),
    of_sellers integer NOT NULL CHECK (of_sellers >= rank),
    PRIMARY KEY (seller_id, period_end)
);
CREATE INDEX seller_rank_history_period_idx ON seller_rank_history (period_end);

-- A cart starts when an item goes into an empty cart; carts-to-orders conversion asks which
-- starts were followed by an order. Carts are emptied by checkout, so without this row the
-- history is gone. The cart row is locked by every cart change, so two starts never race.
CREATE TABLE cart_starts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    started_at timestamptz NOT NULL
);
CREATE INDEX cart_starts_started_idx ON cart_starts (started_at);
CREATE INDEX cart_starts_user_idx ON cart_starts (user_id, started_at, id);

-- +goose StatementBegin
CREATE FUNCTION record_cart_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM cart_items WHERE cart_id = NEW.cart_id AND product_id <> NEW.product_id) THEN
        INSERT INTO cart_starts (user_id, started_at) SELECT user_id, NEW.added_at FROM carts WHERE id = NEW.cart_id;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER cart_started AFTER INSERT ON cart_items FOR EACH ROW EXECUTE FUNCTION record_cart_start();

INSERT INTO cart_starts (user_id, started_at)
SELECT c.user_id, min(ci.added_at) FROM carts c JOIN cart_items ci ON ci.cart_id = c.id GROUP BY c.user_id;

-- +goose Down
DROP TRIGGER cart_started ON cart_items;
DROP FUNCTION record_cart_start();
DROP TABLE cart_starts;
DROP TABLE seller_rank_history;
DROP TRIGGER order_refund_counted ON order_events;
DROP FUNCTION count_order_refund();
DROP TABLE refunds_hourly;
DROP TABLE seller_sales_hourly;
DROP TABLE sale_order_hours;
ALTER TABLE sales_hourly DROP COLUMN discount_cents, DROP COLUMN orders;
