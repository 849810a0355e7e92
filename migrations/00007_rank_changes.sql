-- +goose Up
-- Rank-change alerts: after each hourly ranking, a seller whose overall rank moved by at least
-- SHOPFLOW_DIGEST_RANK_CHANGE places since the rank it last heard of is told.

-- The baseline of each ranked seller: the overall rank it last heard of (or first had), and the
-- newest ranking period already compared with it. Comparing only newer periods keeps a late or
-- repeated run of an old hour from raising an alert again or moving the baseline back.
CREATE TABLE seller_rank_marks (
    seller_id  uuid PRIMARY KEY REFERENCES sellers (id) ON DELETE CASCADE,
    rank       integer NOT NULL CHECK (rank > 0),
    of_sellers integer NOT NULL CHECK (of_sellers >= rank),
    marked_for timestamptz NOT NULL, -- the period whose rank the baseline is
    seen_until timestamptz NOT NULL  -- the newest period compared with it
);

-- One row per alert: which period's ranking moved the seller, from where to where. The seller
-- digest workflow of kind rank_change lists its sellers here, so a rerun tells the same sellers.
CREATE TABLE seller_rank_changes (
    period_end timestamptz NOT NULL,
    seller_id  uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    old_rank   integer NOT NULL,
    new_rank   integer NOT NULL,
    of_sellers integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period_end, seller_id)
);

-- +goose Down
DROP TABLE seller_rank_changes;
DROP TABLE seller_rank_marks;
