INSERT_REFRESH_TOKEN = """
INSERT INTO refresh_tokens (id, family_id, account_id, token_hash, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""
