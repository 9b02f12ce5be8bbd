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
# The locked draft becomes the avatar, the draft goes and the read model gets its snapshot
# ($4, $5: the drawing and its ETag, made from the locked row) in one statement, one round trip.
# The snapshot's foreign key is checked at the end of the statement, after the avatar's insert.
COMPLETE_DRAFT = """
WITH avatar AS (
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
), completed_draft AS (
    DELETE FROM avatar_drafts WHERE id IN (SELECT draft_id FROM avatar)
), snapshot AS (
    INSERT INTO avatar_snapshots (id, owner_id, name, version, updated_at, svg, svg_etag)
    SELECT id, owner_id, name, version, updated_at, $4, $5 FROM avatar
    ON CONFLICT (id) DO UPDATE
    SET name = EXCLUDED.name,
        version = EXCLUDED.version,
        updated_at = EXCLUDED.updated_at,
        svg = EXCLUDED.svg,
        svg_etag = EXCLUDED.svg_etag
)
SELECT id, owner_id, draft_id, name, shape, color_background, color_foreground, color_accent,
       accessories, version, created_at, updated_at
FROM avatar
"""
