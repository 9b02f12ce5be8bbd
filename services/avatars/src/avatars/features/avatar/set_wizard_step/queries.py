from avatars.drafts import DRAFT_COLUMNS

# Composed at import from the shared column lists, never from input (hence the S608 waivers).

# Each step write is limited to a live draft of the caller's and slides its expiry forward.
SET_DRAFT_SHAPE = f"""
UPDATE avatar_drafts SET shape = $5, updated_at = $3, expires_at = $4
WHERE id = $1 AND owner_id = $2 AND expires_at > $3
RETURNING {DRAFT_COLUMNS}
"""  # noqa: S608
SET_DRAFT_PALETTE = f"""
UPDATE avatar_drafts
SET color_background = $5, color_foreground = $6, color_accent = $7,
    updated_at = $3, expires_at = $4
WHERE id = $1 AND owner_id = $2 AND expires_at > $3
RETURNING {DRAFT_COLUMNS}
"""  # noqa: S608
SET_DRAFT_ACCESSORIES = f"""
UPDATE avatar_drafts SET accessories = $5, updated_at = $3, expires_at = $4
WHERE id = $1 AND owner_id = $2 AND expires_at > $3
RETURNING {DRAFT_COLUMNS}
"""  # noqa: S608
SET_DRAFT_NAME = f"""
UPDATE avatar_drafts SET name = $5, updated_at = $3, expires_at = $4
WHERE id = $1 AND owner_id = $2 AND expires_at > $3
RETURNING {DRAFT_COLUMNS}
"""  # noqa: S608
