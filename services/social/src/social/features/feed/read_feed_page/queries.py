# Newest first, keyset-paginated on the post id (a UUID v7, so id order is creation order):
# one primary-key range scan per page however deep, unlike OFFSET. One extra row tells whether
# a next page exists.
_FEED_COLUMNS = """
SELECT post_id, author_id, author_name, text, created_at, like_count, comment_count,
       avatar_id, avatar_name, avatar_render_url, avatar_updated_at, snapshot_at, snapshot_stale
FROM feed_entries
"""
SELECT_FEED_PAGE_FIRST = _FEED_COLUMNS + "ORDER BY post_id DESC LIMIT $1"
SELECT_FEED_PAGE_AFTER = _FEED_COLUMNS + "WHERE post_id < $2 ORDER BY post_id DESC LIMIT $1"
