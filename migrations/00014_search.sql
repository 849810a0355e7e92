-- Search: a richer full-text document, trigram typo tolerance, the vocabulary "did you mean"
-- corrects against, per-product sort fields, and the queue of index changes an external
-- engine (Elasticsearch) is kept fresh from.
-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Attribute values (brand, colour) are searchable too, weighted below name and description.
ALTER TABLE products DROP COLUMN search;
ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(name, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(description, '')), 'B') ||
    setweight(to_tsvector('simple', attributes), 'C')
) STORED;
CREATE INDEX products_search_idx ON products USING gin (search);
-- As-you-type suggestions match names by prefix of any word.
CREATE INDEX products_name_words_idx ON products USING gin (to_tsvector('simple', name)) WHERE status = 'active';

-- The words of active products' names and of category names, for typo correction ("lapotp"
-- -> "laptop"). Refreshed by the hourly search-stats activity; a word new since then is found
-- as typed, just not yet offered as a correction.
CREATE MATERIALIZED VIEW search_terms AS
    SELECT word AS term, ndoc AS docs
    FROM ts_stat($$SELECT to_tsvector('simple', name) FROM products WHERE status = 'active'
                   UNION ALL SELECT to_tsvector('simple', name) FROM categories$$)
    WHERE length(word) BETWEEN 2 AND 40;
CREATE UNIQUE INDEX search_terms_term_key ON search_terms (term);
CREATE INDEX search_terms_trgm_idx ON search_terms USING gin (term gin_trgm_ops);

-- Sort fields that are not columns of products: units sold in the ranking's trailing window
-- (kept by the hourly ranking) and the review summary (once reviews exist).
CREATE TABLE product_search_stats (
    product_id   bigint PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    units_sold   bigint NOT NULL DEFAULT 0 CHECK (units_sold >= 0),
    rating_avg   numeric(3, 2) CHECK (rating_avg BETWEEN 1 AND 5),
    rating_count integer NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_search_stats_units_idx ON product_search_stats (units_sold DESC, product_id);

-- Index changes, queued in the transaction of the write that makes a document stale (by the
-- triggers below, so no write path can forget), applied in bulk by the SearchIndex workflow.
-- A change names a product, or a category or seller whose products all changed (expanded by
-- the applier, not in the writer's transaction). xid lets a reindex replay every change that
-- was not yet visible when it started.
CREATE TABLE search_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id  bigint,
    category_id bigint,
    seller_id   uuid,
    reason      text NOT NULL,
    xid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    applied_at  timestamptz,
    CHECK (num_nonnulls(product_id, category_id, seller_id) = 1)
);
CREATE INDEX search_changes_pending_idx ON search_changes (id) WHERE applied_at IS NULL;
CREATE INDEX search_changes_xid_idx ON search_changes (xid);
CREATE INDEX search_changes_applied_idx ON search_changes (applied_at) WHERE applied_at IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION shopflow_search_product_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_changes (product_id, reason) VALUES (NEW.product_id, TG_ARGV[0]);
    RETURN NULL;
END;
$$;
CREATE FUNCTION shopflow_search_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'products' THEN
        INSERT INTO search_changes (product_id, reason) VALUES (NEW.id, 'product');
    ELSIF TG_TABLE_NAME = 'categories' THEN
        INSERT INTO search_changes (category_id, reason) VALUES (NEW.id, 'category');
    ELSE
        INSERT INTO search_changes (seller_id, reason) VALUES (NEW.id, 'seller');
    END IF;
    RETURN NULL;
END;
$$;
-- Tells listening workers (worker.SearchPush) once per statement that changes were queued.
-- Only writes that change what a shopper finds queue changes (stock crossing zero, not every
-- sale), so the commit-time lock a NOTIFY takes is rare on the order path.
CREATE FUNCTION shopflow_search_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('shopflow_search', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER products_search_changed AFTER INSERT OR UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION shopflow_search_row_changed();
CREATE TRIGGER inventory_search_changed AFTER UPDATE ON inventory
    FOR EACH ROW WHEN ((OLD.on_hand - OLD.reserved > 0) IS DISTINCT FROM (NEW.on_hand - NEW.reserved > 0))
    EXECUTE FUNCTION shopflow_search_product_changed('stock');
CREATE TRIGGER product_search_stats_changed AFTER INSERT OR UPDATE ON product_search_stats
    FOR EACH ROW EXECUTE FUNCTION shopflow_search_product_changed('stats');
CREATE TRIGGER categories_search_changed AFTER UPDATE OF name, parent_id ON categories
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.parent_id IS DISTINCT FROM NEW.parent_id)
    EXECUTE FUNCTION shopflow_search_row_changed();
CREATE TRIGGER sellers_search_changed AFTER UPDATE OF store_name ON sellers
    FOR EACH ROW WHEN (OLD.store_name IS DISTINCT FROM NEW.store_name)
    EXECUTE FUNCTION shopflow_search_row_changed();
CREATE TRIGGER search_changes_notify AFTER INSERT ON search_changes
    FOR EACH STATEMENT EXECUTE FUNCTION shopflow_search_notify();

-- +goose Down
DROP TRIGGER search_changes_notify ON search_changes;
DROP TRIGGER sellers_search_changed ON sellers;
DROP TRIGGER categories_search_changed ON categories;
DROP TRIGGER product_search_stats_changed ON product_search_stats;
DROP TRIGGER inventory_search_changed ON inventory;
DROP TRIGGER products_search_changed ON products;
DROP FUNCTION shopflow_search_notify();
DROP FUNCTION shopflow_search_row_changed();
DROP FUNCTION shopflow_search_product_changed();
DROP TABLE search_changes;
DROP TABLE product_search_stats;
DROP MATERIALIZED VIEW search_terms;
DROP INDEX products_name_words_idx;
ALTER TABLE products DROP COLUMN search;
ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(name, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(description, '')), 'B')
) STORED;
CREATE INDEX products_search_idx ON products USING gin (search);
