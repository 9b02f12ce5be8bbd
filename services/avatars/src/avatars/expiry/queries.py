DELETE_EXPIRED_DRAFTS = """
DELETE FROM avatar_drafts
WHERE id IN (SELECT id FROM avatar_drafts WHERE expires_at <= $1 LIMIT $2)
"""
DELETE_EXPIRED_IDEMPOTENCY_KEYS = """
DELETE FROM idempotency_keys
WHERE (owner_id, key) IN (
    SELECT owner_id, key FROM idempotency_keys WHERE expires_at <= $1 LIMIT $2
)
"""
