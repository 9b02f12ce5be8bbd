# The snapshot goes with it (ON DELETE CASCADE).
DELETE_AVATAR_IF_VERSION = """
DELETE FROM avatars
WHERE id = $1 AND owner_id = $2 AND ($3::int[] IS NULL OR version = ANY($3::int[]))
RETURNING id
"""
