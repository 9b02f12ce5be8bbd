"""SQL of the feed's avatar snapshots (shared by the feed slice and the snapshot worker).

A snapshot write skips the entries another transaction holds (``FOR UPDATE SKIP LOCKED``): that
one is writing the same confirmed card (or a like is counting), and waiting for it is how
concurrent feed requests refreshing the same authors deadlocked (they lock the same rows in
different orders; seen in ``make bench``'s feed scenario as 500s). Never waiting, they cannot.
"""

UPDATE_SNAPSHOTS = """
UPDATE feed_entries AS f
SET avatar_name = s.name,
    avatar_render_url = s.render_url,
    avatar_updated_at = s.updated_at,
    author_name = s.name,
    snapshot_at = $5,
    snapshot_stale = false
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[])
    AS s (avatar_id, name, render_url, updated_at)
WHERE f.avatar_id = s.avatar_id
  AND f.post_id IN (SELECT post_id FROM feed_entries WHERE avatar_id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED)
"""
CLEAR_MISSING_SNAPSHOTS = """
UPDATE feed_entries
SET avatar_name = NULL,
    avatar_render_url = NULL,
    avatar_updated_at = NULL,
    author_name = social_fallback_name(author_id),
    snapshot_at = $2,
    snapshot_stale = false
WHERE post_id IN (SELECT post_id FROM feed_entries WHERE avatar_id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED)
"""
MARK_SNAPSHOTS_STALE = """
UPDATE feed_entries SET snapshot_stale = true
WHERE avatar_id = ANY($1::uuid[]) AND NOT snapshot_stale
"""
SELECT_STALE_AVATAR_IDS = """
SELECT DISTINCT avatar_id FROM feed_entries WHERE snapshot_stale LIMIT $1
"""
