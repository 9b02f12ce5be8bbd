# Deletes only the author's own comment and lowers the feed entry's counter; says whether the
# comment existed and who wrote it, so the handler can tell the two cases apart (the router answers 404 to both).
DELETE_OWN_COMMENT = """
WITH target AS (SELECT id, post_id, author_id FROM comments WHERE id = $1),
gone AS (
    DELETE FROM comments c USING target t
    WHERE c.id = t.id AND t.author_id = $2
    RETURNING c.post_id
),
counted AS (
    UPDATE feed_entries SET comment_count = comment_count - 1
    WHERE post_id = (SELECT post_id FROM gone)
)
SELECT (SELECT author_id FROM target) AS author_id, EXISTS (SELECT 1 FROM gone) AS deleted
"""
