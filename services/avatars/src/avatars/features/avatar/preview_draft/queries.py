SELECT_LIVE_DRAFT_ATTRIBUTES = """
SELECT shape, color_background, color_foreground, color_accent, accessories, name
FROM avatar_drafts
WHERE id = $1 AND owner_id = $2 AND expires_at > $3
"""
