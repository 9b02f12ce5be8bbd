INSERT_DRAFT = """
INSERT INTO avatar_drafts (
    id, owner_id, shape, color_background, color_foreground, color_accent, accessories, name,
    created_at, updated_at, expires_at
)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)
RETURNING id, shape, color_background, color_foreground, color_accent, accessories, name,
          created_at, updated_at, expires_at
"""
