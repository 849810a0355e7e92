-- +goose Up
-- Refunds of some units of an order's lines (a return's, or a cancellation's of a placed order),
-- cancellations of placed lines, and refunds counted into the rollups from their lines when they
-- succeed. The CHECKs below are what make "never more than was captured or sold" hold under any
-- number of concurrent requests and retries: every refund adds its units and money to them in
-- the transaction that records it.

ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN
    ('pending', 'awaiting_payment', 'placed', 'shipped', 'delivered', 'canceled', 'refunded', 'partially_refunded'));

-- A line whose every unit was canceled before it shipped is 'canceled'; canceled_quantity counts
-- the units of cancellations, so two cancellations of one line cannot both take its units.
ALTER TABLE order_items DROP CONSTRAINT order_items_fulfilment_check;
ALTER TABLE order_items ADD CONSTRAINT order_items_fulfilment_check
    CHECK (fulfilment IN ('pending', 'shipped', 'delivered', 'canceled'));
ALTER TABLE order_items
    ADD COLUMN refunded_quantity integer NOT NULL DEFAULT 0,
    ADD COLUMN canceled_quantity integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT order_items_refunded_within_quantity CHECK (refunded_quantity BETWEEN 0 AND quantity),
    ADD CONSTRAINT order_items_canceled_within_quantity CHECK (canceled_quantity BETWEEN 0 AND quantity);

-- Money held or given back against the captured payment: pending, failed and succeeded
-- refunds all count (a failed one keeps its hold until it is retried and succeeds).
ALTER TABLE payments
    ADD COLUMN refunded_cents bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT payments_refunded_within_amount CHECK (refunded_cents BETWEEN 0 AND amount_cents);

-- A cancellation of placed lines by an admin or the lines' seller; the workflow
-- "cancel-<id>" refunds, restocks and notifies.
CREATE TABLE cancellations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE RESTRICT,
    -- The seller who canceled its own lines; NULL for an admin.
    seller_id    uuid REFERENCES sellers (id) ON DELETE RESTRICT,
    requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
    status       text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'refund_failed', 'completed')),
    reason       text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
    refund_id    uuid,
    restocked_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cancellations_order_idx ON cancellations (order_id);

CREATE TABLE cancellation_lines (
    cancellation_id uuid NOT NULL REFERENCES cancellations (id) ON DELETE CASCADE,
    order_id        uuid NOT NULL,
    line_no         integer NOT NULL,
    quantity        integer NOT NULL CHECK (quantity >= 1),
    PRIMARY KEY (cancellation_id, line_no),
    FOREIGN KEY (order_id, line_no) REFERENCES order_items (order_id, line_no) ON DELETE RESTRICT
);

CREATE TABLE refunds (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id       uuid NOT NULL REFERENCES orders (id) ON DELETE RESTRICT,
    return_id      uuid REFERENCES returns (id) ON DELETE RESTRICT,
    kind           text NOT NULL CHECK (kind IN ('return', 'cancel')),
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    amount_cents   bigint NOT NULL CHECK (amount_cents >= 0),
    currency       char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    key            text NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
    provider_ref   text NOT NULL DEFAULT '',
    failure_reason text NOT NULL DEFAULT '',
    attempts       integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    succeeded_at   timestamptz,
    CHECK ((status = 'succeeded') = (succeeded_at IS NOT NULL)),
    CHECK (kind <> 'return' OR return_id IS NOT NULL)
);
CREATE INDEX refunds_order_idx ON refunds (order_id, created_at, id);
CREATE INDEX refunds_status_idx ON refunds (status, created_at, id);
CREATE INDEX refunds_return_idx ON refunds (return_id) WHERE return_id IS NOT NULL;

-- A refund's units of one line with the money they return: their share of the line's price
-- (unit_price_cents * quantity), of its discount and of its tax, as the shopper paid them.
-- amount_cents is what goes back to the shopper; reports count the goods after discount
-- (unit_price_cents * quantity - discount_cents), as they count sales.
CREATE TABLE refund_lines (
    refund_id        uuid NOT NULL REFERENCES refunds (id) ON DELETE CASCADE,
    order_id         uuid NOT NULL,
    line_no          integer NOT NULL,
    product_id       bigint NOT NULL,
    seller_id        uuid NOT NULL,
    category_id      bigint NOT NULL,
    currency         char(3) NOT NULL,
    quantity         integer NOT NULL CHECK (quantity >= 1),
    unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
    discount_cents   bigint NOT NULL CHECK (discount_cents >= 0),
    tax_cents        bigint NOT NULL CHECK (tax_cents >= 0),
    amount_cents     bigint NOT NULL CHECK (amount_cents >= 0),
    PRIMARY KEY (refund_id, line_no),
    FOREIGN KEY (order_id, line_no) REFERENCES order_items (order_id, line_no) ON DELETE RESTRICT
);
CREATE INDEX refund_lines_order_idx ON refund_lines (order_id, line_no);
CREATE INDEX refund_lines_seller_idx ON refund_lines (seller_id);

-- The sandbox provider keeps partial refunds per intent, idempotent per key, and refuses
-- refunds of an intent while refuse_refunds is set (charges with pm_card_refundFail set it;
-- tests clear it to see a refused refund succeed on retry).
ALTER TABLE sandbox_intents
    ADD COLUMN refunded_cents bigint NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0 AND refunded_cents <= amount_cents),
    ADD COLUMN refuse_refunds boolean NOT NULL DEFAULT false;
CREATE TABLE sandbox_refunds (
    id              text PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    intent_id       text NOT NULL REFERENCES sandbox_intents (id) ON DELETE CASCADE,
    amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
    status          text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    failure_reason  text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Refunded units beside refunded money, so rankings can count units net of refunds.
ALTER TABLE refunds_hourly ADD COLUMN units bigint NOT NULL DEFAULT 0 CHECK (units >= 0);

-- +goose StatementBegin
-- count_refund_lines adds a refund's lines to the refund rollups in the transaction where the
-- refund succeeds, at the hour it succeeded; a refund succeeds once (the WHEN below).
CREATE FUNCTION count_refund_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO refunds_hourly AS r (hour, product_id, currency, category_id, seller_id, refund_cents, lines, units)
    SELECT date_trunc('hour', NEW.succeeded_at), product_id, currency, min(category_id), min(seller_id::text)::uuid,
           least(sum(quantity::numeric * unit_price_cents - discount_cents), 9223372036854775807)::bigint, count(*), sum(quantity)
    FROM refund_lines WHERE refund_id = NEW.id
    GROUP BY product_id, currency ORDER BY product_id, currency
    ON CONFLICT (hour, product_id, currency) DO UPDATE
    SET refund_cents = least(r.refund_cents::numeric + EXCLUDED.refund_cents, 9223372036854775807)::bigint,
        lines = r.lines + EXCLUDED.lines, units = r.units + EXCLUDED.units;

    INSERT INTO seller_sales_hourly AS s (seller_id, hour, currency, refund_cents)
    SELECT seller_id, date_trunc('hour', NEW.succeeded_at), currency,
           least(sum(quantity::numeric * unit_price_cents - discount_cents), 9223372036854775807)::bigint
    FROM refund_lines WHERE refund_id = NEW.id
    GROUP BY seller_id, currency ORDER BY seller_id, currency
    ON CONFLICT (seller_id, hour, currency) DO UPDATE
    SET refund_cents = least(s.refund_cents::numeric + EXCLUDED.refund_cents, 9223372036854775807)::bigint;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER refund_lines_counted AFTER UPDATE OF status ON refunds
    FOR EACH ROW WHEN (NEW.status = 'succeeded' AND OLD.status <> 'succeeded') EXECUTE FUNCTION count_refund_lines();

-- The order-event path of 00018 now counts only whole-order refunds recorded without refund
-- rows (history, and any path that refunds without them): an order refunded through refunds
-- was counted line by line above, and its 'refunded' event must not count it again.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION count_order_refund() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM refunds WHERE order_id = NEW.order_id) THEN
        RETURN NULL;
    END IF;
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

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION count_order_refund() RETURNS trigger LANGUAGE plpgsql AS $$
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
DROP TRIGGER refund_lines_counted ON refunds;
DROP FUNCTION count_refund_lines();
ALTER TABLE refunds_hourly DROP COLUMN units;
DROP TABLE sandbox_refunds;
ALTER TABLE sandbox_intents DROP COLUMN refuse_refunds, DROP COLUMN refunded_cents;
DROP TABLE refund_lines;
DROP TABLE refunds;
DROP TABLE cancellation_lines;
DROP TABLE cancellations;
ALTER TABLE payments DROP CONSTRAINT payments_refunded_within_amount, DROP COLUMN refunded_cents;
ALTER TABLE order_items DROP CONSTRAINT order_items_canceled_within_quantity,
    DROP CONSTRAINT order_items_refunded_within_quantity,
    DROP COLUMN canceled_quantity, DROP COLUMN refunded_quantity;
UPDATE order_items SET fulfilment = 'pending' WHERE fulfilment = 'canceled';
ALTER TABLE order_items DROP CONSTRAINT order_items_fulfilment_check;
ALTER TABLE order_items ADD CONSTRAINT order_items_fulfilment_check CHECK (fulfilment IN ('pending', 'shipped', 'delivered'));
UPDATE orders SET status = 'refunded' WHERE status = 'partially_refunded';
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN
    ('pending', 'awaiting_payment', 'placed', 'shipped', 'delivered', 'canceled', 'refunded'));
