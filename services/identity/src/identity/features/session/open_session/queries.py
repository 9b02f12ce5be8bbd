SELECT_ACCOUNT_CREDENTIALS = "SELECT id, password_hash FROM accounts WHERE email = $1"

# A key's row exists before it is locked: a first attempt makes an empty one (0 attempts); a
# concurrent first attempt on another replica finds it there.
ENSURE_THROTTLE = """
INSERT INTO login_throttle (account_key, attempts, window_started_at, held_until)
VALUES ($1, 0, $2, $2)
ON CONFLICT (account_key) DO NOTHING
"""

# Read under the row's lock: concurrent attempts for one key (on any replica) take turns, so each
# counts on the state the one before it left, and none is refused for arriving at the same time.
SELECT_THROTTLE_FOR_UPDATE = """
SELECT attempts, window_started_at, held_until FROM login_throttle WHERE account_key = $1 FOR UPDATE
"""

UPDATE_THROTTLE = """
UPDATE login_throttle SET attempts = $2, window_started_at = $3, held_until = $4 WHERE account_key = $1
"""

DELETE_THROTTLE = "DELETE FROM login_throttle WHERE account_key = $1"

# Rows whose window is over carry nothing a later attempt needs.
DELETE_STALE_THROTTLES = "DELETE FROM login_throttle WHERE window_started_at < $1 AND held_until < $2"
