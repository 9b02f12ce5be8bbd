# The post and its feed entry in one statement (one round trip, atomic). The entry starts with
# the avatar snapshot the ownership check just fetched, so it is confirmed as of now.
INSERT_POST_WITH_FEED_ENTRY = """
WITH post AS (
    INSERT INTO posts (id, author_id, text, avatar_id, created_at)
    VALUES ($1, $2, $3, $4, $5)
    RETURNING id, author_id, text, avatar_id, created_at
)
INSERT INTO feed_entries (
    post_id, author_id, author_name, text, created_at,
    avatar_id, avatar_name, avatar_render_url, avatar_updated_at, snapshot_at
)
SELECT id, author_id, coalesce($6, social_fallback_name(author_id)), text, created_at,
       avatar_id, $6, $7, $8, CASE WHEN avatar_id IS NULL THEN NULL ELSE created_at END
FROM post
"""
