-- Product reviews by verified buyers, moderated before they count, with one seller reply and
-- helpful votes; and each product's rating histogram beside the average and count that search
-- already sorts and filters by (product_search_stats, migration 00014).
-- +goose Up
CREATE TABLE reviews (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id        bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    -- RESTRICT: deleting a review must go through the store, which keeps the product's
    -- aggregate right; a cascade would silently leave it counting the review.
    customer_id       uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    rating            smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body              text NOT NULL DEFAULT '' CHECK (length(body) <= 5000),
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published', 'rejected')),
    moderation_reason text CHECK (length(moderation_reason) <= 1000),
    moderated_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    moderated_at      timestamptz,
    published_at      timestamptz,
    helpful_count     integer NOT NULL DEFAULT 0 CHECK (helpful_count >= 0),
    reply_body        text CHECK (length(reply_body) BETWEEN 1 AND 5000),
    reply_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    replied_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (product_id, customer_id),
    CHECK ((status = 'published') = (published_at IS NOT NULL)),
    CHECK ((reply_body IS NULL) = (replied_at IS NULL))
);
-- The public list: a product's published reviews, newest first, or by rating.
CREATE INDEX reviews_published_idx ON reviews (product_id, published_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX reviews_published_rating_idx ON reviews (product_id, rating, published_at DESC, id DESC) WHERE status = 'published';
-- The moderation queue, oldest first.
CREATE INDEX reviews_moderation_idx ON reviews (status, id);
CREATE INDEX reviews_customer_idx ON reviews (customer_id);

-- One helpful vote per account and review. RESTRICT for the same reason as reviews.customer_id:
-- helpful_count is kept with the votes.
CREATE TABLE review_votes (
    review_id  bigint NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (review_id, user_id)
);
CREATE INDEX review_votes_user_idx ON review_votes (user_id);

-- The published reviews' sum and histogram, kept with rating_count and rating_avg in the
-- transaction of every change to a published review (store/reviews_stats.go).
ALTER TABLE product_search_stats
    ADD COLUMN rating_sum bigint NOT NULL DEFAULT 0 CHECK (rating_sum >= 0),
    ADD COLUMN rating_1 integer NOT NULL DEFAULT 0 CHECK (rating_1 >= 0),
    ADD COLUMN rating_2 integer NOT NULL DEFAULT 0 CHECK (rating_2 >= 0),
    ADD COLUMN rating_3 integer NOT NULL DEFAULT 0 CHECK (rating_3 >= 0),
    ADD COLUMN rating_4 integer NOT NULL DEFAULT 0 CHECK (rating_4 >= 0),
    ADD COLUMN rating_5 integer NOT NULL DEFAULT 0 CHECK (rating_5 >= 0);

-- +goose Down
ALTER TABLE product_search_stats
    DROP COLUMN rating_sum, DROP COLUMN rating_1, DROP COLUMN rating_2, DROP COLUMN rating_3,
    DROP COLUMN rating_4, DROP COLUMN rating_5;
DROP TABLE review_votes;
DROP TABLE reviews;
