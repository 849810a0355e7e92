-- +goose Up
-- What an order costs: shipping zones and methods, tax rates, promotions and their uses, the
-- priced breakdown stored on each order and line, fraud screening results, and customers'
-- consent to promotion announcements. docs/PRICING.md states the rules these hold.

-- Weight prices shipping by weight; the tax class picks the product's rate in each destination.
ALTER TABLE products
    ADD COLUMN weight_grams integer NOT NULL DEFAULT 0 CHECK (weight_grams BETWEEN 0 AND 1000000),
    ADD COLUMN tax_class text NOT NULL DEFAULT 'standard' CHECK (tax_class ~ '^[a-z][a-z0-9_]{0,31}$');

CREATE TABLE shipping_zones (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX shipping_zones_name_key ON shipping_zones (lower(name));

-- A country belongs to at most one zone, so an address's zone is never ambiguous.
CREATE TABLE shipping_zone_countries (
    country char(2) PRIMARY KEY CHECK (country ~ '^[A-Z]{2}$'),
    zone_id bigint NOT NULL REFERENCES shipping_zones (id) ON DELETE CASCADE
);
CREATE INDEX shipping_zone_countries_zone_idx ON shipping_zone_countries (zone_id);

-- A way to ship within a zone, priced per shipment (one per seller in an order): flat, or by
-- weight (price_cents plus per_kg_cents for each started kilogram), free when the shipment's
-- goods reach free_over_cents.
CREATE TABLE shipping_methods (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    zone_id         bigint NOT NULL REFERENCES shipping_zones (id) ON DELETE CASCADE,
    code            text NOT NULL CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(code) <= 60),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    kind            text NOT NULL CHECK (kind IN ('flat', 'weight')),
    currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    price_cents     bigint NOT NULL CHECK (price_cents BETWEEN 0 AND 100000000),
    per_kg_cents    bigint NOT NULL DEFAULT 0 CHECK (per_kg_cents BETWEEN 0 AND 100000000),
    free_over_cents bigint CHECK (free_over_cents BETWEEN 0 AND 100000000000),
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (zone_id, code),
    CHECK (kind = 'weight' OR per_kg_cents = 0)
);

-- A tax rate for a destination (a country, or one of its regions, which then wins) and a tax
-- class, in parts per million of the taxed amount: 19% is 190000.
CREATE TABLE tax_rates (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    country    char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    region     text NOT NULL DEFAULT '' CHECK (region = upper(region) AND length(region) <= 100),
    tax_class  text NOT NULL CHECK (tax_class ~ '^[a-z][a-z0-9_]{0,31}$'),
    rate_ppm   integer NOT NULL CHECK (rate_ppm BETWEEN 0 AND 1000000),
    name       text NOT NULL DEFAULT '' CHECK (length(name) <= 120),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (country, region, tax_class)
);

-- A promotion: with a code it is a coupon the shopper types, without one it applies itself.
-- uses counts the orders holding or having spent a use; the CHECK is what makes the usage
-- limit exact under any number of concurrent checkouts, as the inventory CHECK does for stock.
CREATE TABLE promotions (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    description        text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    code               text CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$'),
    kind               text NOT NULL CHECK (kind IN ('percent', 'fixed', 'free_shipping')),
    percent_bp         integer CHECK (percent_bp BETWEEN 1 AND 10000),
    amount_cents       bigint CHECK (amount_cents BETWEEN 1 AND 100000000000),
    currency           char(3) CHECK (currency ~ '^[A-Z]{3}$'),
    applies_to         text NOT NULL DEFAULT 'order' CHECK (applies_to IN ('order', 'products', 'categories')),
    product_ids        bigint[] NOT NULL DEFAULT '{}',
    category_ids       bigint[] NOT NULL DEFAULT '{}',
    min_subtotal_cents bigint NOT NULL DEFAULT 0 CHECK (min_subtotal_cents BETWEEN 0 AND 100000000000),
    starts_at          timestamptz NOT NULL DEFAULT now(),
    ends_at            timestamptz,
    usage_limit        integer CHECK (usage_limit >= 0),
    per_customer_limit integer CHECK (per_customer_limit >= 1),
    uses               integer NOT NULL DEFAULT 0,
    active             boolean NOT NULL DEFAULT true,
    announce           boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT promotions_uses_within_limit CHECK (uses >= 0 AND (usage_limit IS NULL OR uses <= usage_limit)),
    CHECK (ends_at IS NULL OR ends_at > starts_at),
    CHECK ((kind = 'percent') = (percent_bp IS NOT NULL)),
    CHECK ((kind = 'fixed') = (amount_cents IS NOT NULL)),
    CHECK (kind <> 'fixed' AND min_subtotal_cents = 0 OR currency IS NOT NULL),
    CHECK (applies_to <> 'products' OR cardinality(product_ids) > 0),
    CHECK (applies_to <> 'categories' OR cardinality(category_ids) > 0)
);
CREATE UNIQUE INDEX promotions_code_key ON promotions (upper(code)) WHERE code IS NOT NULL;
CREATE INDEX promotions_automatic_idx ON promotions (starts_at) WHERE code IS NULL AND active;

-- One use of a promotion by an order: held while the saga holds the order's stock, committed
-- when it is placed, released (and promotions.uses given back) when it is canceled.
CREATE TABLE promotion_redemptions (
    order_id     uuid PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    promotion_id bigint NOT NULL REFERENCES promotions (id) ON DELETE RESTRICT,
    customer_id  uuid NOT NULL,
    status       text NOT NULL CHECK (status IN ('held', 'committed', 'released')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX promotion_redemptions_customer_idx ON promotion_redemptions (promotion_id, customer_id) WHERE status <> 'released';

-- The order's price as quoted and charged. The CHECK keeps the parts and the total agreeing.
-- Orders from before this migration are their goods' total, nothing else.
ALTER TABLE orders
    ADD COLUMN subtotal_cents          bigint NOT NULL DEFAULT 0 CHECK (subtotal_cents >= 0),
    ADD COLUMN discount_cents          bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0),
    ADD COLUMN shipping_cents          bigint NOT NULL DEFAULT 0 CHECK (shipping_cents >= 0),
    ADD COLUMN shipping_discount_cents bigint NOT NULL DEFAULT 0 CHECK (shipping_discount_cents >= 0),
    ADD COLUMN tax_cents               bigint NOT NULL DEFAULT 0 CHECK (tax_cents >= 0),
    ADD COLUMN prices_include_tax      boolean NOT NULL DEFAULT false,
    ADD COLUMN shipping_method         text,
    ADD COLUMN promotion_id            bigint REFERENCES promotions (id) ON DELETE RESTRICT,
    ADD COLUMN coupon_code             text,
    ADD COLUMN client_ip               inet,
    ADD COLUMN fraud_score             integer,
    ADD COLUMN fraud_decision          text CHECK (fraud_decision IN ('allow', 'review', 'reject', 'approved', 'rejected')),
    ADD COLUMN fraud_reasons           jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN fraud_reviewed_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN fraud_reviewed_at       timestamptz,
    ADD COLUMN fraud_review_note       text NOT NULL DEFAULT '' CHECK (length(fraud_review_note) <= 1000);
UPDATE orders SET subtotal_cents = total_cents;
ALTER TABLE orders ADD CONSTRAINT orders_total_adds_up CHECK (total_cents = subtotal_cents - discount_cents
    + shipping_cents - shipping_discount_cents + CASE WHEN prices_include_tax THEN 0 ELSE tax_cents END);
CREATE INDEX orders_client_ip_idx ON orders (client_ip, created_at) WHERE client_ip IS NOT NULL;
CREATE INDEX orders_payment_method_idx ON orders (payment_method, created_at);
CREATE INDEX orders_fraud_review_idx ON orders (created_at) WHERE fraud_decision = 'review';

-- Each line's share of the order's discount and tax, so refunds, reports and analytics use the
-- numbers the shopper was charged.
ALTER TABLE order_items
    ADD COLUMN discount_cents bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0),
    ADD COLUMN tax_cents      bigint NOT NULL DEFAULT 0 CHECK (tax_cents >= 0),
    ADD COLUMN tax_rate_ppm   integer NOT NULL DEFAULT 0 CHECK (tax_rate_ppm BETWEEN 0 AND 1000000),
    ADD CONSTRAINT order_items_discount_within_line CHECK (discount_cents <= unit_price_cents * quantity);

-- One shipment per seller in an order, with its method and price.
CREATE TABLE order_shipments (
    order_id       uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    seller_id      uuid NOT NULL REFERENCES sellers (id) ON DELETE RESTRICT,
    method_code    text NOT NULL,
    method_name    text NOT NULL,
    weight_grams   bigint NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
    shipping_cents bigint NOT NULL CHECK (shipping_cents >= 0),
    discount_cents bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0 AND discount_cents <= shipping_cents),
    tax_cents      bigint NOT NULL DEFAULT 0 CHECK (tax_cents >= 0),
    tax_rate_ppm   integer NOT NULL DEFAULT 0 CHECK (tax_rate_ppm BETWEEN 0 AND 1000000),
    PRIMARY KEY (order_id, seller_id)
);

-- The sale's discount and tax travel with it into the sales facts.
ALTER TABLE sales_facts
    ADD COLUMN discount_cents bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0),
    ADD COLUMN tax_cents      bigint NOT NULL DEFAULT 0 CHECK (tax_cents >= 0);

-- A customer's consent to hear of new promotions, and on which channels.
CREATE TABLE marketing_preferences (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    promotions boolean NOT NULL DEFAULT false,
    channels   text[] NOT NULL DEFAULT '{inapp}' CHECK (channels <@ ARRAY['email', 'sms', 'inapp']::text[]),
    phone      text NOT NULL DEFAULT '' CHECK (phone = '' OR phone ~ '^\+[1-9][0-9]{6,14}$'),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX marketing_preferences_promotions_idx ON marketing_preferences (user_id) WHERE promotions;

-- +goose Down
DROP TABLE marketing_preferences;
ALTER TABLE sales_facts DROP COLUMN tax_cents, DROP COLUMN discount_cents;
DROP TABLE order_shipments;
ALTER TABLE order_items DROP CONSTRAINT order_items_discount_within_line,
    DROP COLUMN tax_rate_ppm, DROP COLUMN tax_cents, DROP COLUMN discount_cents;
DROP INDEX orders_fraud_review_idx;
DROP INDEX orders_payment_method_idx;
DROP INDEX orders_client_ip_idx;
ALTER TABLE orders DROP CONSTRAINT orders_total_adds_up,
    DROP COLUMN fraud_review_note, DROP COLUMN fraud_reviewed_at, DROP COLUMN fraud_reviewed_by,
    DROP COLUMN fraud_reasons, DROP COLUMN fraud_decision, DROP COLUMN fraud_score, DROP COLUMN client_ip,
    DROP COLUMN coupon_code, DROP COLUMN promotion_id, DROP COLUMN shipping_method,
    DROP COLUMN prices_include_tax, DROP COLUMN tax_cents, DROP COLUMN shipping_discount_cents,
    DROP COLUMN shipping_cents, DROP COLUMN discount_cents, DROP COLUMN subtotal_cents;
DROP TABLE promotion_redemptions;
DROP TABLE promotions;
DROP TABLE tax_rates;
DROP TABLE shipping_methods;
DROP TABLE shipping_zone_countries;
DROP TABLE shipping_zones;
ALTER TABLE products DROP COLUMN tax_class, DROP COLUMN weight_grams;
