SELECT_ACCOUNT_CREDENTIALS = "SELECT id, password_hash FROM accounts WHERE email = $1"

SELECT_THROTTLE = "SELECT attempts, window_started_at, held_until FROM login_throttle WHERE account_key = $1"

# The first attempt of a key: a concurrent first attempt on another replica makes this a no-op
# ("INSERT 0 0"), and the loser is held.
INSERT_THROTTLE = """
INSERT INTO login_throttle (account_key, attempts, window_started_at, held_until)
VALUES ($1, $2, $3, $4)
ON CONFLICT (account_key) DO NOTHING
"""

# Compare-and-set on the state that was read: of concurrent attempts only one moves it on.
UPDATE_THROTTLE = """
UPDATE login_throttle SET attempts = $2, window_started_at = $3, held_until = $4
WHERE account_key = $1 AND attempts = $5 AND window_started_at = $6
"""

DELETE_THROTTLE = "DELETE FROM login_throttle WHERE account_key = $1"

# Rows whose window is over carry nothing a later attempt needs.
DELETE_STALE_THROTTLES = "DELETE FROM login_throttle WHERE window_started_at < $1 AND held_until < $2"
