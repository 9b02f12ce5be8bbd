from avatars.drafts import DRAFT_DESIGN_COLUMNS

# Composed at import from the shared column lists, never from input (hence the S608 waivers).

SELECT_LIVE_DRAFT_DESIGN = f"""
SELECT {DRAFT_DESIGN_COLUMNS}
FROM avatar_drafts
WHERE id = $1 AND owner_id = $2 AND expires_at > $3
"""  # noqa: S608
