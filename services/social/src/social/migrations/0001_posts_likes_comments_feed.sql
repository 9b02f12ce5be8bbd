-- The write model: posts, likes and comments. Author and user ids come from verified tokens;
-- social never reads identity's or avatars' tables (avatar data arrives over HTTP).
CREATE TABLE posts (
    id          uuid PRIMARY KEY,
    author_id   uuid NOT NULL,
    text        text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 2000),
    avatar_id   uuid,
    created_at  timestamptz NOT NULL
);
-- Export (my posts in id order) and reputation (my posts) both scan by author.
CREATE INDEX posts_author_id ON posts (author_id, id);

-- One like per user and post: the primary key makes "like" idempotent.
CREATE TABLE likes (
    post_id     uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (post_id, user_id)
);

CREATE TABLE comments (
    id          uuid PRIMARY KEY,
    post_id     uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id   uuid NOT NULL,
    text        text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 1000),
    created_at  timestamptz NOT NULL
);
CREATE INDEX comments_post ON comments (post_id, id);
CREATE INDEX comments_author ON comments (author_id);

-- The feed's read model (CQRS lite): one row per post, already holding what a feed page shows,
-- so a page is one index range scan and never one HTTP call per post. Written in the same
-- transaction as the write model; the avatar snapshot columns are refreshed from avatars'
-- batch-get (by the feed itself when a snapshot is too old, by the snapshot worker otherwise).
CREATE TABLE feed_entries (
    post_id            uuid PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    author_id          uuid NOT NULL,
    author_name        text NOT NULL,
    text               text NOT NULL,
    created_at         timestamptz NOT NULL,
    like_count         integer NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    comment_count      integer NOT NULL DEFAULT 0 CHECK (comment_count >= 0),
    avatar_id          uuid,
    avatar_name        text,
    avatar_render_url  text,
    avatar_updated_at  timestamptz,
    -- When avatars last confirmed this snapshot (NULL: never). A confirmed absence (avatar
    -- deleted) leaves the avatar_* columns NULL with a non-NULL snapshot_at.
    snapshot_at        timestamptz,
    -- Refresh work that could not be queued (queue full, avatars failing): swept later.
    snapshot_stale     boolean NOT NULL DEFAULT false
);
CREATE INDEX feed_entries_avatar ON feed_entries (avatar_id) WHERE avatar_id IS NOT NULL;
CREATE INDEX feed_entries_stale ON feed_entries (avatar_id) WHERE snapshot_stale;

-- Author display name when a post has no (known) avatar: "user-" and the last 8 hex digits of
-- the author's id. The last ones, because a UUID v7 starts with its timestamp: users registered
-- in the same minute share their first 8 digits, while the last 8 are random.
CREATE FUNCTION social_fallback_name(author uuid) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 'user-' || right(replace(author::text, '-', ''), 8);
