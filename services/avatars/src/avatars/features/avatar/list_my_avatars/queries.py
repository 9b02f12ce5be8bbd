# Keyset pagination on the UUID v7 id (time-ordered): stable while others insert, and every
# page is one index range scan on (owner_id, id), however deep the page.
SELECT_MY_AVATARS_PAGE = """
SELECT id, name, version, updated_at
FROM avatar_snapshots
WHERE owner_id = $1 AND ($2::uuid IS NULL OR id > $2)
ORDER BY id
LIMIT $3
"""
