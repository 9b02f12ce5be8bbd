# Idempotent: unliking a post one does not like changes nothing and still answers the count.
UNLIKE_POST = """
WITH target AS (SELECT id FROM posts WHERE id = $1),
removed AS (
    DELETE FROM likes WHERE post_id = $1 AND user_id = $2
    RETURNING post_id
),
lowered AS (
    UPDATE feed_entries SET like_count = like_count - 1
    WHERE post_id = (SELECT post_id FROM removed)
    RETURNING like_count
)
SELECT EXISTS (SELECT 1 FROM target) AS found,
       coalesce((SELECT like_count FROM lowered),
                (SELECT like_count FROM feed_entries WHERE post_id = $1)) AS like_count
"""
