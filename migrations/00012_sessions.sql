-- +goose Up
-- Sessions that can end. Access tokens carry the user's token_version; bumping it (password or
-- role change, disable) revokes every token of that user at once. A login starts a refresh
-- family; each refresh token is used once and replaced by the next of its family, so presenting
-- a used one means it was copied: the whole family is revoked.
ALTER TABLE users
    ADD COLUMN token_version integer NOT NULL DEFAULT 0,
    ADD COLUMN disabled_at   timestamptz;

-- Admin user lists filter by role and page by id.
CREATE INDEX users_role_id_idx ON users (role, id);

CREATE TABLE refresh_families (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the user's token_version at login: a family from before a revocation refreshes no more
    token_version  integer NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    revoked_reason text CHECK (revoked_reason IN ('logout', 'reuse', 'revoked'))
);
CREATE INDEX refresh_families_user_id_idx ON refresh_families (user_id);

CREATE TABLE refresh_tokens (
    -- SHA-256 of the opaque token: a database leak gives no usable refresh token
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    family_id  uuid NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    -- set when the token is exchanged; a second exchange is reuse
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE refresh_families;
DROP INDEX users_role_id_idx;
ALTER TABLE users DROP COLUMN disabled_at, DROP COLUMN token_version;
