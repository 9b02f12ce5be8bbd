# Locks the draft, so concurrent completions of one draft queue up behind the first.
LOCK_LIVE_DRAFT = """
SELECT shape, color_background, color_foreground, color_accent, accessories, name
FROM avatar_drafts
WHERE id = $1 AND owner_id = $2 AND expires_at > $3
FOR UPDATE
"""
SELECT_AVATAR_OF_DRAFT = """
SELECT id, owner_id, draft_id, name, shape, color_background, color_foreground, color_accent,
       accessories, version, created_at, updated_at
FROM avatars
WHERE draft_id = $1 AND owner_id = $2
"""
INSERT_AVATAR_FROM_DRAFT = """
INSERT INTO avatars (
    id, owner_id, draft_id, name, shape, color_background, color_foreground, color_accent,
    accessories, version, created_at, updated_at
)
SELECT $1, owner_id, id, name, shape, color_background, color_foreground, color_accent,
       accessories, 1, $3, $3
FROM avatar_drafts
WHERE id = $2
ON CONFLICT ON CONSTRAINT avatars_draft_unique DO NOTHING
RETURNING id, owner_id, draft_id, name, shape, color_background, color_foreground, color_accent,
          accessories, version, created_at, updated_at
"""
DELETE_COMPLETED_DRAFT = "DELETE FROM avatar_drafts WHERE id = $1"
