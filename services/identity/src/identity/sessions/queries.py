INSERT_REFRESH_TOKEN = """
INSERT INTO refresh_tokens (id, family_id, account_id, token_hash, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""
# A transaction-scoped lock per family (the two-key form: its own key space, apart from the
# migrations' one-key lock). hashtext collisions only make two families take turns.
LOCK_REFRESH_FAMILY = "SELECT pg_advisory_xact_lock(20250, hashtext($1::uuid::text))"
