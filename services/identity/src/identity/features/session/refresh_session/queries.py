SELECT_REFRESH_TOKEN_FAMILY = "SELECT family_id FROM refresh_tokens WHERE token_hash = $1"
SELECT_REFRESH_TOKEN_STATE = """
SELECT family_id, account_id, consumed_at, revoked_at, expires_at FROM refresh_tokens WHERE token_hash = $1
"""
CONSUME_REFRESH_TOKEN = "UPDATE refresh_tokens SET consumed_at = $2 WHERE token_hash = $1"
REVOKE_REFRESH_FAMILY = """
UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL
"""
