# The comment and the feed entry's counter in one statement; no row back means no such post.
INSERT_COMMENT = """
WITH target AS (SELECT id FROM posts WHERE id = $2 FOR KEY SHARE),
added AS (
    INSERT INTO comments (id, post_id, author_id, text, created_at)
    SELECT $1, id, $3, $4, $5 FROM target
    RETURNING id, post_id, author_id, text, created_at
),
counted AS (
    UPDATE feed_entries SET comment_count = comment_count + 1
    WHERE post_id = (SELECT post_id FROM added)
)
SELECT id, post_id, author_id, text, created_at FROM added
"""
