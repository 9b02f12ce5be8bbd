-- Drafts of the creation wizard: private to their owner, gone once completed or expired.
CREATE TABLE avatar_drafts (
    id                uuid PRIMARY KEY,
    owner_id          uuid NOT NULL,
    shape             text,
    color_background  text,
    color_foreground  text,
    color_accent      text,
    accessories       text[],
    name              text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    CONSTRAINT avatar_drafts_palette_whole CHECK (
        num_nulls(color_background, color_foreground, color_accent) IN (0, 3)
    )
);
CREATE INDEX avatar_drafts_owner ON avatar_drafts (owner_id);
CREATE INDEX avatar_drafts_expires ON avatar_drafts (expires_at);

-- The write model. draft_id is unique: completing a draft twice can never make two avatars.
CREATE TABLE avatars (
    id                uuid PRIMARY KEY,
    owner_id          uuid NOT NULL,
    draft_id          uuid NOT NULL,
    shape             text NOT NULL,
    color_background  text NOT NULL,
    color_foreground  text NOT NULL,
    color_accent      text NOT NULL,
    accessories       text[] NOT NULL,
    name              text NOT NULL,
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT avatars_draft_unique UNIQUE (draft_id),
    CONSTRAINT avatars_name_length CHECK (char_length(name) BETWEEN 1 AND 50),
    CONSTRAINT avatars_version_positive CHECK (version > 0)
);

-- The read model (CQRS-lite): what lists, batch snapshots and the public SVG need, with the
-- drawing and its ETag computed once per write instead of once per read. Written in the same
-- transaction as avatars, so it is never stale.
CREATE TABLE avatar_snapshots (
    id          uuid PRIMARY KEY REFERENCES avatars (id) ON DELETE CASCADE,
    owner_id    uuid NOT NULL,
    name        text NOT NULL,
    version     integer NOT NULL,
    updated_at  timestamptz NOT NULL,
    svg         text NOT NULL,
    svg_etag    text NOT NULL
);
CREATE INDEX avatar_snapshots_owner_id ON avatar_snapshots (owner_id, id);

-- Idempotency-Key records of the creating POSTs: the first response, replayed for a retry with
-- the same key and the same request; a pending claim (response NULL) is leased until
-- locked_until so a crashed request does not hold its key forever.
CREATE TABLE idempotency_keys (
    owner_id      uuid NOT NULL,
    key           text NOT NULL,
    fingerprint   bytea NOT NULL,
    response      bytea,
    created_at    timestamptz NOT NULL,
    locked_until  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (owner_id, key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
