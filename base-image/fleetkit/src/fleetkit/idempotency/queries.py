# A new claim, or a takeover of an expired record or of a stale pending claim for the same
# request (its first attempt died before answering). Anything else stays as it is.
CLAIM_IDEMPOTENCY_KEY = """
INSERT INTO idempotency_keys AS k
    (owner_id, key, fingerprint, response, created_at, locked_until, expires_at)
VALUES ($1, $2, $3, NULL, $4, $5, $6)
ON CONFLICT (owner_id, key) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint,
    response = NULL,
    created_at = EXCLUDED.created_at,
    locked_until = EXCLUDED.locked_until,
    expires_at = EXCLUDED.expires_at
WHERE k.expires_at <= EXCLUDED.created_at
   OR (k.response IS NULL AND k.locked_until <= EXCLUDED.created_at
       AND k.fingerprint = EXCLUDED.fingerprint)
RETURNING true
"""
SELECT_IDEMPOTENCY_RECORD = """
SELECT fingerprint, response FROM idempotency_keys WHERE owner_id = $1 AND key = $2
"""
STORE_IDEMPOTENT_RESPONSE = """
UPDATE idempotency_keys SET response = $3 WHERE owner_id = $1 AND key = $2 AND response IS NULL
"""
RELEASE_IDEMPOTENCY_KEY = """
DELETE FROM idempotency_keys WHERE owner_id = $1 AND key = $2 AND response IS NULL
"""
# Housekeeping: one batch of expired records (the sweep calls it until it deletes nothing).
DELETE_EXPIRED_IDEMPOTENCY_KEYS = """
DELETE FROM idempotency_keys
WHERE (owner_id, key) IN (
    SELECT owner_id, key FROM idempotency_keys WHERE expires_at <= $1 LIMIT $2
)
"""
