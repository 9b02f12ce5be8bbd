SELECT_AVATAR = """
SELECT id, owner_id, name, shape, color_background, color_foreground, color_accent,
       accessories, version, created_at, updated_at
FROM avatars
WHERE id = $1
"""
