REVOKE_FAMILY_OF_TOKEN = """
UPDATE refresh_tokens SET revoked_at = $3
WHERE revoked_at IS NULL AND family_id = (
    SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND account_id = $2
)
"""
