from avatars.avatars import AVATAR_COLUMNS

# Composed at import from the shared column lists, never from input (hence the S608 waivers).

UPDATE_AVATAR_IF_VERSION = f"""
UPDATE avatars
SET name = COALESCE($4, name),
    shape = COALESCE($5, shape),
    color_background = COALESCE($6, color_background),
    color_foreground = COALESCE($7, color_foreground),
    color_accent = COALESCE($8, color_accent),
    accessories = COALESCE($9::text[], accessories),
    version = version + 1,
    updated_at = $10
WHERE id = $1 AND owner_id = $2 AND ($3::int[] IS NULL OR version = ANY($3::int[]))
RETURNING {AVATAR_COLUMNS}
"""  # noqa: S608
