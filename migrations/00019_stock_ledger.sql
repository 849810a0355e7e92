-- The stock ledger: every change of a product's on_hand or reserved is one movement row, written
-- by a trigger in the transaction of the change, with its cause (kind, order, return, actor).
-- So inventory.on_hand = sum(on_hand_delta) and inventory.reserved = sum(reserved_delta) for every
-- product, always, and a seller can read why the stock is what it is. The cause comes from the
-- transaction's settings (store.InTx, store/txsettings.go); without one, the deltas name it.
-- +goose Up
CREATE TABLE stock_movements (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No foreign keys: each would cost a lookup (and a key-share lock) per movement on the
    -- checkout path. The trigger writes only rows it has just changed, and deleting an inventory
    -- row deletes its movements (below), which is what a cascade would do.
    product_id     bigint NOT NULL,
    kind           text NOT NULL CHECK (kind IN
                       ('initial', 'restock', 'adjustment', 'reservation', 'release', 'sale', 'return', 'cancel')),
    on_hand_delta  integer NOT NULL,
    reserved_delta integer NOT NULL,
    on_hand_after  integer NOT NULL,
    reserved_after integer NOT NULL,
    order_id       uuid,
    return_id      uuid,
    -- The account that made the change (shopflow.actor's account_id); NULL for the system.
    actor_id       uuid,
    note           text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now()
);
-- A product's movements, newest first, and the sums of the invariant.
CREATE INDEX stock_movements_product_idx ON stock_movements (product_id, id);

-- +goose StatementBegin
-- One row per change, no reads: on the checkout path this is the whole cost of the ledger.
CREATE FUNCTION shopflow_stock_movement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cause      jsonb := nullif(current_setting('shopflow.stock_cause', true), '')::jsonb;
    d_on_hand  integer := NEW.on_hand;
    d_reserved integer := NEW.reserved;
    m_kind     text := 'initial';
BEGIN
    IF TG_OP = 'UPDATE' THEN
        d_on_hand := NEW.on_hand - OLD.on_hand;
        d_reserved := NEW.reserved - OLD.reserved;
        -- Without a cause, the deltas say what happened (the checkout steps move stock in
        -- these shapes; a direct count moves on_hand alone).
        m_kind := coalesce(cause ->> 'kind', CASE
            WHEN d_reserved > 0 THEN 'reservation'
            WHEN d_on_hand = 0 THEN 'release'
            WHEN d_on_hand < 0 AND d_on_hand = d_reserved THEN 'sale'
            WHEN d_on_hand > 0 THEN 'restock'
            ELSE 'adjustment'
        END);
    END IF;
    INSERT INTO stock_movements (product_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after,
                                 order_id, return_id, actor_id, note)
    VALUES (NEW.product_id, m_kind, d_on_hand, d_reserved, NEW.on_hand, NEW.reserved,
            (cause ->> 'order_id')::uuid, (cause ->> 'return_id')::uuid,
            (nullif(current_setting('shopflow.actor', true), '')::jsonb ->> 'account_id')::uuid,
            coalesce(cause ->> 'note', ''));
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- A product's inventory row goes only when the product is deleted (never by the application,
-- which archives; tests and demo resets do): its history goes with it, so the sums still hold.
CREATE FUNCTION shopflow_stock_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM stock_movements WHERE product_id = OLD.product_id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER inventory_stock_created AFTER INSERT ON inventory
    FOR EACH ROW EXECUTE FUNCTION shopflow_stock_movement();
CREATE TRIGGER inventory_stock_moved AFTER UPDATE OF on_hand, reserved ON inventory
    FOR EACH ROW WHEN (OLD.on_hand <> NEW.on_hand OR OLD.reserved <> NEW.reserved)
    EXECUTE FUNCTION shopflow_stock_movement();
CREATE TRIGGER inventory_stock_deleted AFTER DELETE ON inventory
    FOR EACH ROW EXECUTE FUNCTION shopflow_stock_forget();

-- The opening balance of stock that existed before the ledger.
INSERT INTO stock_movements (product_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, note)
SELECT product_id, 'initial', on_hand, reserved, on_hand, reserved, 'opening balance'
FROM inventory ORDER BY product_id;

-- +goose Down
DROP TRIGGER inventory_stock_deleted ON inventory;
DROP TRIGGER inventory_stock_moved ON inventory;
DROP TRIGGER inventory_stock_created ON inventory;
DROP FUNCTION shopflow_stock_forget();
DROP FUNCTION shopflow_stock_movement();
DROP TABLE stock_movements;
