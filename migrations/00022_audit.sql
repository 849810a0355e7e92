-- The audit trail: one append-only record for every change an admin, a seller or an API key
-- makes, written by a trigger in the transaction of the change, for the actor the store put
-- into the transaction (store.InTx sets shopflow.actor from the request's audit.Actor). Changes
-- made by the shop itself (checkout sagas, sweeps) carry no actor and are not recorded; the
-- trigger's WHEN clause makes that a cheap test. Personal and secret columns are never copied
-- into a record, so erasing a customer never has to touch audit_log. docs/AFTERSALE.md.
-- +goose Up
CREATE TABLE audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Who: the account (empty for an API key or the system), its role, its store for a seller,
    -- the API key, and the request (id, client IP, user agent) the change came in.
    actor_id        text NOT NULL DEFAULT '',
    actor_role      text NOT NULL DEFAULT '',
    actor_seller_id text NOT NULL DEFAULT '',
    api_key_id      text NOT NULL DEFAULT '',
    request_id      text NOT NULL DEFAULT '',
    ip              text NOT NULL DEFAULT '',
    user_agent      text NOT NULL DEFAULT '',
    -- What: "<resource_type>.<create|update|delete>" (or a named action written by Go code),
    -- the resource, and the store it belongs to (NULL when none) so a seller reads its own.
    action          text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    resource_type   text NOT NULL,
    resource_id     text NOT NULL DEFAULT '',
    seller_id       uuid,
    -- The changed columns' values before and after (an update), the row (create: after only;
    -- delete: before only), minus personal and secret columns.
    before          jsonb,
    after           jsonb
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id) WHERE actor_id <> '';
CREATE INDEX audit_log_api_key_idx ON audit_log (api_key_id, id) WHERE api_key_id <> '';
CREATE INDEX audit_log_resource_idx ON audit_log (resource_type, resource_id, id);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);
CREATE INDEX audit_log_seller_idx ON audit_log (seller_id, id) WHERE seller_id IS NOT NULL;

-- +goose StatementBegin
-- audit_row records one row change. Arguments: resource type; the id column(s), comma
-- separated (joined with ':'); the store column: '' for none, a column holding a sellers.id, or
-- 'product:<col>' / 'return:<col>' to read the store of the product or return <col> names; and
-- the columns never to copy, comma separated. updated_at and generated columns are noise and
-- never copied; an update that changes nothing else writes no record.
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor  jsonb := current_setting('shopflow.actor', true)::jsonb;
    store  text := coalesce(TG_ARGV[2], '');
    hidden text[] := ARRAY['updated_at', 'search'] || coalesce(string_to_array(nullif(TG_ARGV[3], ''), ','), '{}');
    o      jsonb;
    n      jsonb;
    r      jsonb;
    b      jsonb;
    a      jsonb;
    rid    text;
    sid    uuid;
    verb   text;
BEGIN
    IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW); END IF;
    r := coalesce(n, o);
    IF TG_OP = 'UPDATE' THEN
        SELECT jsonb_object_agg(k, o -> k), jsonb_object_agg(k, n -> k) INTO b, a
        FROM jsonb_object_keys(n - hidden) k WHERE n -> k IS DISTINCT FROM o -> k;
        IF b IS NULL THEN
            RETURN NULL;
        END IF;
        verb := 'update';
    ELSIF TG_OP = 'INSERT' THEN
        a := n - hidden;
        verb := 'create';
    ELSE
        b := o - hidden;
        verb := 'delete';
    END IF;
    SELECT string_agg(r ->> c, ':' ORDER BY i) INTO rid
    FROM unnest(string_to_array(TG_ARGV[1], ',')) WITH ORDINALITY u (c, i);
    sid := CASE
        WHEN store = '' THEN NULL
        WHEN store LIKE 'product:%' THEN (SELECT p.seller_id FROM products p WHERE p.id = (r ->> substr(store, 9))::bigint)
        WHEN store LIKE 'return:%' THEN (SELECT x.seller_id FROM returns x WHERE x.id = (r ->> substr(store, 8))::uuid)
        ELSE (r ->> store)::uuid
    END;
    INSERT INTO audit_log (actor_id, actor_role, actor_seller_id, api_key_id, request_id, ip, user_agent,
                           action, resource_type, resource_id, seller_id, before, after)
    VALUES (coalesce(actor ->> 'account_id', ''), coalesce(actor ->> 'role', ''), coalesce(actor ->> 'seller_id', ''),
            coalesce(actor ->> 'api_key_id', ''), coalesce(actor ->> 'request_id', ''), coalesce(actor ->> 'ip', ''),
            coalesce(actor ->> 'user_agent', ''), TG_ARGV[0] || '.' || verb, TG_ARGV[0], coalesce(rid, ''), sid, b, a);
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- audit_attach puts audit_row on a table for the given operations, firing only when the
-- transaction names an actor: without one the trigger costs a setting lookup, not a call.
CREATE FUNCTION audit_attach(tbl text, ops text, args text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER %s ON %I FOR EACH ROW
        WHEN (coalesce(current_setting(''shopflow.actor'', true), '''') <> '''')
        EXECUTE FUNCTION audit_row(%s)',
        tbl || '_audit', ops, tbl, (SELECT string_agg(quote_literal(x), ', ') FROM unnest(args) x));
END $$;
-- +goose StatementEnd

-- Catalog, prices and stock.
SELECT audit_attach('products', 'INSERT OR UPDATE OR DELETE', ARRAY['product', 'id', 'seller_id', '']);
SELECT audit_attach('inventory', 'INSERT OR UPDATE OR DELETE', ARRAY['inventory', 'product_id', 'product:product_id', 'low_stock_alerted']);
SELECT audit_attach('categories', 'INSERT OR UPDATE OR DELETE', ARRAY['category', 'id', '', '']);
-- Orders: status transitions and fraud reviews (orders are created by customers and feeds).
SELECT audit_attach('orders', 'UPDATE OR DELETE', ARRAY['order', 'id', '',
    'shipping_address,client_ip,payment_method,fraud_reasons,fraud_review_note,idempotency_key,request_hash']);
SELECT audit_attach('order_items', 'UPDATE', ARRAY['order_item', 'order_id,line_no', 'seller_id', '']);
-- After the sale; free text (reasons, notes, tracking) is not copied: erasure cannot reach an
-- append-only log.
SELECT audit_attach('returns', 'INSERT OR UPDATE OR DELETE', ARRAY['return', 'id', 'seller_id', 'reason,decision_note,tracking']);
SELECT audit_attach('return_lines', 'UPDATE', ARRAY['return_line', 'return_id,line_no', 'return:return_id', 'reason']);
-- Reviews: moderation and sellers' replies; the customer's own words are not copied.
SELECT audit_attach('reviews', 'UPDATE OR DELETE', ARRAY['review', 'id', 'product:product_id', 'title,body,helpful_count']);
-- Accounts and keys: roles, disabling, revocation; never email, name, phone or hashes.
SELECT audit_attach('users', 'INSERT OR UPDATE OR DELETE', ARRAY['user', 'id', '', 'email,name,phone,password_hash']);
SELECT audit_attach('api_keys', 'INSERT OR UPDATE OR DELETE', ARRAY['api_key', 'id', '', 'key_hash']);
-- Settings.
SELECT audit_attach('shipping_zones', 'INSERT OR UPDATE OR DELETE', ARRAY['shipping_zone', 'id', '', '']);
SELECT audit_attach('shipping_zone_countries', 'INSERT OR UPDATE OR DELETE', ARRAY['shipping_zone_country', 'country', '', '']);
SELECT audit_attach('shipping_methods', 'INSERT OR UPDATE OR DELETE', ARRAY['shipping_method', 'id', '', '']);
SELECT audit_attach('tax_rates', 'INSERT OR UPDATE OR DELETE', ARRAY['tax_rate', 'id', '', '']);
SELECT audit_attach('promotions', 'INSERT OR UPDATE OR DELETE', ARRAY['promotion', 'id', '', '']);
SELECT audit_attach('refunds', 'INSERT OR UPDATE OR DELETE', ARRAY['refund', 'id', 'return:return_id', '']);
SELECT audit_attach('cancellations', 'INSERT OR UPDATE OR DELETE', ARRAY['cancellation', 'id', 'seller_id', '']);

-- +goose StatementBegin
-- Append-only: no update ever, and a delete only from audit_purge, which the retention workflow
-- calls after exporting the records it removes.
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('shopflow.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();

-- +goose StatementBegin
-- audit_purge removes exactly the records ids names that are older than cutoff (which may not
-- be in the future), and returns how many it removed. It runs as its owner, so the
-- application's role, which may not delete from audit_log, can call it.
CREATE FUNCTION audit_purge(ids bigint[], cutoff timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    IF cutoff > now() THEN
        RAISE EXCEPTION 'audit_purge: cutoff % is in the future', cutoff USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('shopflow.audit_purge', 'on', true);
    DELETE FROM audit_log WHERE id = ANY (ids) AND created_at < cutoff;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('shopflow.audit_purge', '', true);
    RETURN n;
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION audit_purge(bigint[], timestamptz) FROM PUBLIC;

-- The application's role. Production runs the API and worker as a login role that is a member
-- of shopflow_app (not as the owner of the tables): it reads and writes every table, but may
-- only insert and read audit records. Roles are per cluster, so this one may exist already.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopflow_app') THEN
        CREATE ROLE shopflow_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database's migration created it at the same moment
END $$;
-- +goose StatementEnd
GRANT USAGE ON SCHEMA public TO shopflow_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO shopflow_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO shopflow_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO shopflow_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shopflow_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO shopflow_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO shopflow_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM shopflow_app;

-- +goose Down
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM shopflow_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM shopflow_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM shopflow_app;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM shopflow_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM shopflow_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM shopflow_app;
REVOKE USAGE ON SCHEMA public FROM shopflow_app;
DROP TRIGGER cancellations_audit ON cancellations;
DROP TRIGGER refunds_audit ON refunds;
DROP TRIGGER promotions_audit ON promotions;
DROP TRIGGER tax_rates_audit ON tax_rates;
DROP TRIGGER shipping_methods_audit ON shipping_methods;
DROP TRIGGER shipping_zone_countries_audit ON shipping_zone_countries;
DROP TRIGGER shipping_zones_audit ON shipping_zones;
DROP TRIGGER api_keys_audit ON api_keys;
DROP TRIGGER users_audit ON users;
DROP TRIGGER reviews_audit ON reviews;
DROP TRIGGER return_lines_audit ON return_lines;
DROP TRIGGER returns_audit ON returns;
DROP TRIGGER order_items_audit ON order_items;
DROP TRIGGER orders_audit ON orders;
DROP TRIGGER categories_audit ON categories;
DROP TRIGGER inventory_audit ON inventory;
DROP TRIGGER products_audit ON products;
DROP FUNCTION audit_purge(bigint[], timestamptz);
DROP TABLE audit_log;
DROP FUNCTION audit_log_guard();
DROP FUNCTION audit_attach(text, text, text[]);
DROP FUNCTION audit_row();
