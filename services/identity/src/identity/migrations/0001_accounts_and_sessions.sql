-- Accounts and their refresh-token families.
CREATE TABLE accounts (
    id             uuid PRIMARY KEY,
    email          text NOT NULL,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL,
    CONSTRAINT accounts_email_unique UNIQUE (email)
);

-- Refresh tokens are stored as SHA-256 digests, never in clear. Each login starts a family;
-- every refresh consumes one token and adds its successor to the same family. Presenting a
-- consumed token again means it was stolen: the whole family is revoked.
CREATE TABLE refresh_tokens (
    id           uuid PRIMARY KEY,
    family_id    uuid NOT NULL,
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    consumed_at  timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT refresh_tokens_hash_unique UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id);
