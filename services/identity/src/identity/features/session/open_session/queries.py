SELECT_ACCOUNT_CREDENTIALS = "SELECT id, password_hash FROM accounts WHERE email = $1"

# One statement makes the key's row (0 attempts) or finds it, and locks it: concurrent attempts for
# one key (on any replica) take turns, so each counts on the state the one before it left, and none
# is refused for arriving at the same time. ON CONFLICT DO UPDATE, unlike a SELECT ... FOR UPDATE
# after an INSERT ... DO NOTHING, always returns a row: when the row is deleted while this attempt
# waits for its lock (a successful login clears it, another key's arrival sweeps it), PostgreSQL
# inserts a fresh one instead. A row has 0 attempts only in the transaction that just made it.
LOCK_THROTTLE = """
INSERT INTO login_throttle AS t (account_key, attempts, window_started_at, held_until)
VALUES ($1, 0, $2, $2)
ON CONFLICT (account_key) DO UPDATE SET attempts = t.attempts
RETURNING attempts, window_started_at, held_until
"""

UPDATE_THROTTLE = """
UPDATE login_throttle SET attempts = $2, window_started_at = $3, held_until = $4 WHERE account_key = $1
"""

DELETE_THROTTLE = "DELETE FROM login_throttle WHERE account_key = $1"

# Rows whose window is over carry nothing a later attempt needs.
DELETE_STALE_THROTTLES = "DELETE FROM login_throttle WHERE window_started_at < $1 AND held_until < $2"
