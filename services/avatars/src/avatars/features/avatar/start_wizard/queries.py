from avatars.drafts import DRAFT_COLUMNS

# Composed at import from the shared column lists, never from input (hence the S608 waivers).

INSERT_DRAFT = f"""
INSERT INTO avatar_drafts (
    id, owner_id, shape, color_background, color_foreground, color_accent, accessories, name,
    created_at, updated_at, expires_at
)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)
RETURNING {DRAFT_COLUMNS}
"""  # noqa: S608
