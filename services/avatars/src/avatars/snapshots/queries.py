# Every write of the read model: the snapshots of the avatars in {rows} (VALUES, or a SELECT from
# a statement's RETURNING), each row (id, owner_id, name, version, updated_at, svg, svg_etag); a
# snapshot already there is replaced.
UPSERT_SNAPSHOTS_FROM = """
INSERT INTO avatar_snapshots (id, owner_id, name, version, updated_at, svg, svg_etag)
{rows}
ON CONFLICT (id) DO UPDATE
SET name = EXCLUDED.name,
    version = EXCLUDED.version,
    updated_at = EXCLUDED.updated_at,
    svg = EXCLUDED.svg,
    svg_etag = EXCLUDED.svg_etag
"""
UPSERT_AVATAR_SNAPSHOT = UPSERT_SNAPSHOTS_FROM.format(rows="VALUES ($1, $2, $3, $4, $5, $6, $7)")
