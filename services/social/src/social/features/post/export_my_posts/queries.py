# Read through a server-side cursor (inside a transaction), oldest first; counts come from the
# feed read model, one primary-key lookup per post. Column names are ExportLine's field names.
SELECT_MY_POSTS_FOR_EXPORT = """
SELECT p.id, p.text, p.avatar_id, p.created_at,
       coalesce(f.like_count, 0) AS like_count, coalesce(f.comment_count, 0) AS comment_count
FROM posts p
LEFT JOIN feed_entries f ON f.post_id = p.id
WHERE p.author_id = $1
ORDER BY p.id
"""
