-- +goose Up
-- Checkout saga support: fulfilment per line, sales facts, notification outbox, low-stock alert
-- state, and the built-in payment sandbox's intents.

-- A placed order is fulfilled per line, because each line's seller ships its own goods; the
-- order's status follows its lines (shipped when every line has shipped).
ALTER TABLE order_items
    ADD COLUMN fulfilment text NOT NULL DEFAULT 'pending'
        CHECK (fulfilment IN ('pending', 'shipped', 'delivered')),
    -- The product's name at checkout, so order history survives a product being renamed.
    ADD COLUMN name text NOT NULL DEFAULT '';

-- The payment an order is waiting for, so the webhook and the sweep can find the order.
ALTER TABLE orders ADD COLUMN payment_intent_id text;
CREATE UNIQUE INDEX orders_payment_intent_idx ON orders (payment_intent_id) WHERE payment_intent_id IS NOT NULL;

-- Which order lines have been counted as sales, by any path (our checkout, the ingest API,
-- batch files): the once-only gate. A line is a sale the first time its key is inserted here.
CREATE TABLE sale_keys (
    source            text NOT NULL,
    external_order_id text NOT NULL,
    line_no           integer NOT NULL CHECK (line_no >= 1),
    ordered_at        timestamptz NOT NULL,
    PRIMARY KEY (source, external_order_id, line_no)
);

-- One row per counted sale line, partitioned by month of the order so old months can be
-- detached or archived; the default partition catches months not created yet.
CREATE TABLE sales_facts (
    source            text NOT NULL,
    external_order_id text NOT NULL,
    line_no           integer NOT NULL CHECK (line_no >= 1),
    ordered_at        timestamptz NOT NULL,
    product_id        bigint NOT NULL,
    seller_id         uuid NOT NULL,
    category_id       bigint NOT NULL,
    quantity          integer NOT NULL CHECK (quantity >= 1),
    unit_price_cents  bigint NOT NULL CHECK (unit_price_cents >= 0),
    currency          char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ordered_at, source, external_order_id, line_no)
) PARTITION BY RANGE (ordered_at);
CREATE TABLE sales_facts_default PARTITION OF sales_facts DEFAULT;
CREATE INDEX sales_facts_order_idx ON sales_facts (source, external_order_id);

-- Notifications queued by business events and delivered by the notification service. The key
-- (recipient:kind:subject) makes queueing idempotent: a retried activity queues nothing twice.
CREATE TABLE notification_outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key          text NOT NULL UNIQUE,
    recipient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_outbox_queued_idx ON notification_outbox (id) WHERE status = 'queued';

-- Set when a sale takes available stock to or below the threshold, cleared when stock is
-- raised above it again: one alert per crossing, however many sales happen below it.
ALTER TABLE inventory ADD COLUMN low_stock_alerted boolean NOT NULL DEFAULT false;

-- The sandbox payment provider's state, so it behaves like Stripe across worker restarts:
-- idempotent creation, and intents that wait for action until completed or canceled.
CREATE TABLE sandbox_intents (
    id              text PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    amount_cents    bigint NOT NULL CHECK (amount_cents >= 0),
    currency        char(3) NOT NULL,
    payment_method  text NOT NULL,
    status          text NOT NULL,
    decline_code    text NOT NULL DEFAULT '',
    refunded        boolean NOT NULL DEFAULT false,
    metadata        jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE sandbox_intents;
ALTER TABLE inventory DROP COLUMN low_stock_alerted;
DROP TABLE notification_outbox;
DROP TABLE sales_facts;
DROP TABLE sale_keys;
DROP INDEX orders_payment_intent_idx;
ALTER TABLE orders DROP COLUMN payment_intent_id;
ALTER TABLE order_items DROP COLUMN name, DROP COLUMN fulfilment;
