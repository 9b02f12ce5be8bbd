# Deletes only the author's own post; says whether the post existed and who wrote it, so the
# handler can tell a missing post from one of somebody else (the router answers 404 to both).
# Likes, comments and the feed entry go with it (ON DELETE CASCADE).
DELETE_OWN_POST = """
WITH target AS (SELECT id, author_id FROM posts WHERE id = $1),
gone AS (
    DELETE FROM posts p USING target t
    WHERE p.id = t.id AND t.author_id = $2
    RETURNING p.id
)
SELECT (SELECT author_id FROM target) AS author_id, EXISTS (SELECT 1 FROM gone) AS deleted
"""
