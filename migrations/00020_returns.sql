-- Returns (RMA): a customer asks to send back delivered units of one seller's lines; the seller
-- or an admin decides, the goods come back, the seller receives them (to stock or not), and the
-- refund is issued (refunds, migration 00021). The workflow "return-<id>" drives each one.
-- +goose Up
CREATE TABLE returns (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id      uuid NOT NULL REFERENCES orders (id) ON DELETE RESTRICT,
    customer_id   uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    seller_id     uuid NOT NULL REFERENCES sellers (id) ON DELETE RESTRICT,
    status        text NOT NULL DEFAULT 'requested' CHECK (status IN
                      ('requested', 'approved', 'rejected', 'shipped', 'received', 'refunded', 'expired', 'canceled')),
    reason        text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
    decision_note text NOT NULL DEFAULT '' CHECK (length(decision_note) <= 2000),
    -- When an approved return expires if the goods were not shipped back.
    ship_by       timestamptz,
    tracking      text NOT NULL DEFAULT '' CHECK (length(tracking) <= 200),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX returns_order_idx ON returns (order_id);
CREATE INDEX returns_customer_idx ON returns (customer_id, created_at DESC, id);
CREATE INDEX returns_seller_idx ON returns (seller_id, created_at DESC, id);

CREATE TABLE return_lines (
    return_id         uuid NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    order_id          uuid NOT NULL,
    line_no           integer NOT NULL,
    quantity          integer NOT NULL CHECK (quantity >= 1),
    reason            text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
    received_quantity integer NOT NULL DEFAULT 0 CHECK (received_quantity BETWEEN 0 AND quantity),
    restocked_quantity integer NOT NULL DEFAULT 0 CHECK (restocked_quantity BETWEEN 0 AND received_quantity),
    PRIMARY KEY (return_id, line_no),
    FOREIGN KEY (order_id, line_no) REFERENCES order_items (order_id, line_no) ON DELETE RESTRICT
);

-- Units of each line in returns that are open or done (not rejected, expired or canceled): the
-- database refuses asking to return more units than the line holds, however many requests race.
ALTER TABLE order_items ADD COLUMN returned_quantity integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT order_items_returned_within_quantity CHECK (returned_quantity BETWEEN 0 AND quantity);

-- When each line was delivered: the return window runs from it. Lines are delivered one seller
-- at a time (store/order_fulfil.go), so the order's own timeline cannot say when a line was;
-- a trigger stamps the line as its fulfilment becomes delivered, whoever moves it.
ALTER TABLE order_items ADD COLUMN delivered_at timestamptz;
-- Lines delivered before this migration take the latest delivery on their order's timeline.
UPDATE order_items oi SET delivered_at = coalesce(
    (SELECT max(e.created_at) FROM order_events e
      WHERE e.order_id = oi.order_id AND e.status IN ('delivered', 'lines_delivered')),
    (SELECT o.updated_at FROM orders o WHERE o.id = oi.order_id))
WHERE oi.fulfilment = 'delivered';

-- +goose StatementBegin
CREATE FUNCTION order_items_stamp_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.fulfilment = 'delivered' AND NEW.delivered_at IS NULL
       AND (TG_OP = 'INSERT' OR OLD.fulfilment IS DISTINCT FROM 'delivered') THEN
        NEW.delivered_at := now();
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER order_items_stamp_delivery BEFORE INSERT OR UPDATE OF fulfilment ON order_items
    FOR EACH ROW EXECUTE FUNCTION order_items_stamp_delivery();

-- +goose Down
DROP TRIGGER order_items_stamp_delivery ON order_items;
DROP FUNCTION order_items_stamp_delivery();
ALTER TABLE order_items DROP COLUMN delivered_at;
ALTER TABLE order_items DROP CONSTRAINT order_items_returned_within_quantity, DROP COLUMN returned_quantity;
DROP TABLE return_lines;
DROP TABLE returns;
