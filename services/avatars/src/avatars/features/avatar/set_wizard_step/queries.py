# Each step write is limited to a live draft of the caller's and slides its expiry forward.
SET_DRAFT_SHAPE = """
UPDATE avatar_drafts SET shape = $5, updated_at = $3, expires_at = $4
WHERE id = $1 AND owner_id = $2 AND expires_at > $3
RETURNING id, shape, color_background, color_foreground, color_accent, accessories, name,
          created_at, updated_at, expires_at
"""
SET_DRAFT_PALETTE = """
UPDATE avatar_drafts
SET color_background = $5, color_foreground = $6, color_accent = $7,
    updated_at = $3, expires_at = $4
WHERE id = $1 AND owner_id = $2 AND expires_at > $3
RETURNING id, shape, color_background, color_foreground, color_accent, accessories, name,
          created_at, updated_at, expires_at
"""
SET_DRAFT_ACCESSORIES = """
UPDATE avatar_drafts SET accessories = $5, updated_at = $3, expires_at = $4
WHERE id = $1 AND owner_id = $2 AND expires_at > $3
RETURNING id, shape, color_background, color_foreground, color_accent, accessories, name,
          created_at, updated_at, expires_at
"""
SET_DRAFT_NAME = """
UPDATE avatar_drafts SET name = $5, updated_at = $3, expires_at = $4
WHERE id = $1 AND owner_id = $2 AND expires_at > $3
RETURNING id, shape, color_background, color_foreground, color_accent, accessories, name,
          created_at, updated_at, expires_at
"""
