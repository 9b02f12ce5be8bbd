UPSERT_AVATAR_SNAPSHOT = """
INSERT INTO avatar_snapshots (id, owner_id, name, version, updated_at, svg, svg_etag)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (id) DO UPDATE
SET name = EXCLUDED.name,
    version = EXCLUDED.version,
    updated_at = EXCLUDED.updated_at,
    svg = EXCLUDED.svg,
    svg_etag = EXCLUDED.svg_etag
"""
