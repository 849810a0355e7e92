-- +goose Up
-- Foundation schema: people, catalog, stock, carts, wishlists, orders, payments, reservations.
-- Money is integer minor units plus an ISO 4217 currency; never float.

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    name          text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    role          text NOT NULL CHECK (role IN ('customer', 'seller', 'admin')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Emails are unique regardless of case: Bob@x.com and bob@x.com are one account.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE sellers (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    store_name text NOT NULL CHECK (length(store_name) BETWEEN 1 AND 120),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sellers_store_name_key ON sellers (lower(store_name));

CREATE TABLE categories (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id  bigint REFERENCES categories (id) ON DELETE RESTRICT,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX categories_parent_idx ON categories (parent_id);

CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id   uuid NOT NULL REFERENCES sellers (id) ON DELETE RESTRICT,
    category_id bigint NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    attributes  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('draft', 'active', 'archived')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- Full-text search document, kept by Postgres itself so it can never drift from the row.
    search      tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(name, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(description, '')), 'B')
    ) STORED
);
CREATE INDEX products_category_idx ON products (category_id, id);
CREATE INDEX products_seller_idx ON products (seller_id, id);
CREATE INDEX products_price_idx ON products (price_cents, id);
CREATE INDEX products_created_idx ON products (created_at, id);
CREATE INDEX products_search_idx ON products USING gin (search);

CREATE TABLE inventory (
    product_id          bigint PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    on_hand             integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved            integer NOT NULL DEFAULT 0,
    low_stock_threshold integer NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- The invariant that makes overselling impossible: stock held for checkouts never exceeds stock.
    CONSTRAINT inventory_reserved_within_on_hand CHECK (reserved >= 0 AND reserved <= on_hand)
);

CREATE TABLE carts (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cart_items (
    cart_id    uuid NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    added_at   timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cart_id, product_id)
);

CREATE TABLE wishlists (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE wishlist_items (
    wishlist_id uuid NOT NULL REFERENCES wishlists (id) ON DELETE CASCADE,
    product_id  bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity    integer NOT NULL DEFAULT 1 CHECK (quantity BETWEEN 1 AND 10000),
    added_at    timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wishlist_id, product_id)
);

CREATE TABLE orders (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id      uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN
                         ('pending', 'awaiting_payment', 'placed', 'shipped', 'delivered', 'canceled', 'refunded')),
    cancel_reason    text,
    currency         char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    total_cents      bigint NOT NULL CHECK (total_cents >= 0),
    payment_method   text NOT NULL DEFAULT '',
    shipping_address jsonb NOT NULL DEFAULT '{}',
    idempotency_key  text,
    request_hash     text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'canceled') = (cancel_reason IS NOT NULL)),
    UNIQUE (customer_id, idempotency_key)
);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC, id);
CREATE INDEX orders_status_idx ON orders (status, created_at DESC);

CREATE TABLE order_items (
    order_id         uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no          integer NOT NULL CHECK (line_no >= 1),
    product_id       bigint NOT NULL REFERENCES products (id) ON DELETE RESTRICT,
    seller_id        uuid NOT NULL REFERENCES sellers (id) ON DELETE RESTRICT,
    quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
    currency         char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    PRIMARY KEY (order_id, line_no),
    UNIQUE (order_id, product_id)
);
CREATE INDEX order_items_seller_idx ON order_items (seller_id);

-- The order timeline: one row per state change, shown by GET /orders/{id}.
CREATE TABLE order_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status     text NOT NULL,
    note       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

CREATE TABLE payments (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE RESTRICT,
    provider     text NOT NULL,
    provider_ref text NOT NULL,
    status       text NOT NULL CHECK (status IN
                     ('requires_action', 'processing', 'succeeded', 'failed', 'canceled', 'refunded')),
    amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
    currency     char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, provider_ref)
);
CREATE INDEX payments_order_idx ON payments (order_id);

-- A reservation holds stock for one order line until it is committed, released or expires.
CREATE TABLE reservations (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id   uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id bigint NOT NULL REFERENCES products (id) ON DELETE RESTRICT,
    quantity   integer NOT NULL CHECK (quantity >= 1),
    status     text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'committed', 'released')),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, product_id)
);
CREATE INDEX reservations_expiry_idx ON reservations (expires_at) WHERE status = 'held';

-- Responses of POSTs sent with an Idempotency-Key, replayed when the same request comes again.
CREATE TABLE idempotency_keys (
    scope        text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    status_code  integer,
    headers      jsonb,
    response     bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE reservations;
DROP TABLE payments;
DROP TABLE order_events;
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE wishlist_items;
DROP TABLE wishlists;
DROP TABLE cart_items;
DROP TABLE carts;
DROP TABLE inventory;
DROP TABLE products;
DROP TABLE categories;
DROP TABLE sellers;
DROP TABLE users;
