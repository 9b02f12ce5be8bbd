from avatars.avatars import AVATAR_COLUMNS
from avatars.drafts import DRAFT_DESIGN_COLUMNS
from avatars.snapshots.queries import UPSERT_SNAPSHOTS_FROM

# Composed at import from the shared column lists, never from input (hence the S608 waivers).

# Locks the draft, so concurrent completions of one draft queue up behind the first.
LOCK_LIVE_DRAFT = f"""
SELECT {DRAFT_DESIGN_COLUMNS}
FROM avatar_drafts
WHERE id = $1 AND owner_id = $2 AND expires_at > $3
FOR UPDATE
"""  # noqa: S608
SELECT_AVATAR_OF_DRAFT = f"""
SELECT {AVATAR_COLUMNS}
FROM avatars
WHERE draft_id = $1 AND owner_id = $2
"""  # noqa: S608
# The locked draft becomes the avatar, the draft goes and the read model gets its snapshot
# ($4, $5: the drawing and its ETag, made from the locked row) in one statement, one round trip.
# The snapshot's foreign key is checked at the end of the statement, after the avatar's insert.
_NEW_SNAPSHOT = UPSERT_SNAPSHOTS_FROM.format(rows="SELECT id, owner_id, name, version, updated_at, $4, $5 FROM avatar")
COMPLETE_DRAFT = f"""
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
    RETURNING {AVATAR_COLUMNS}
), completed_draft AS (
    DELETE FROM avatar_drafts WHERE id IN (SELECT draft_id FROM avatar)
), snapshot AS ({_NEW_SNAPSHOT})
SELECT {AVATAR_COLUMNS}
FROM avatar
"""  # noqa: S608
