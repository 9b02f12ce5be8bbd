# Idempotent per (post, user): the primary key absorbs a repeated like, and the feed's counter
# moves only when a row was really added. FOR KEY SHARE keeps the post from being deleted
# between the check and the insert. The last SELECT sees the counter as it was before this
# statement, which is right exactly when nothing was added.
LIKE_POST = """
WITH target AS (SELECT id FROM posts WHERE id = $1 FOR KEY SHARE),
added AS (
    INSERT INTO likes (post_id, user_id, created_at)
    SELECT id, $2, $3 FROM target
    ON CONFLICT DO NOTHING
    RETURNING post_id
),
bumped AS (
    UPDATE feed_entries SET like_count = like_count + 1
    WHERE post_id = (SELECT post_id FROM added)
    RETURNING like_count
)
SELECT EXISTS (SELECT 1 FROM target) AS found,
       coalesce((SELECT like_count FROM bumped),
                (SELECT like_count FROM feed_entries WHERE post_id = $1)) AS like_count
"""
