# Housekeeping: one batch of expired drafts (the expiry sweep runs it once a minute).
DELETE_EXPIRED_DRAFTS = """
DELETE FROM avatar_drafts
WHERE id IN (SELECT id FROM avatar_drafts WHERE expires_at <= $1 LIMIT $2)
"""
