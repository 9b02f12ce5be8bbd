# Deletes only the author's own comment and lowers the feed entry's counter. Someone else's
# comment is left alone and, like a missing one, gives no row back.
DELETE_OWN_COMMENT = """
WITH gone AS (
    DELETE FROM comments WHERE id = $1 AND author_id = $2
    RETURNING post_id
),
counted AS (
    UPDATE feed_entries SET comment_count = comment_count - 1
    WHERE post_id = (SELECT post_id FROM gone)
)
SELECT post_id FROM gone
"""
