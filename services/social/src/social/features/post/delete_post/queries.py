# Deletes only the author's own post: someone else's post is left alone and, like a missing one,
# gives no row back. Likes, comments and the feed entry go with it (ON DELETE CASCADE).
DELETE_OWN_POST = """
DELETE FROM posts WHERE id = $1 AND author_id = $2
RETURNING id
"""
