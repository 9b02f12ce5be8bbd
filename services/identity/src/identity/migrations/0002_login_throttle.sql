-- Failed-login state per account, shared by every replica (identity's own database), so guesses
-- spread over replicas and addresses meet one budget. Keyed by the SHA-256 of the normalised
-- e-mail, never the e-mail: unknown e-mails are throttled exactly like accounts, and what
-- strangers typed is not kept readable. A row only lives for its window (swept as new ones come).
CREATE TABLE login_throttle (
    account_key        bytea PRIMARY KEY,
    attempts           integer NOT NULL,
    window_started_at  timestamptz NOT NULL,
    held_until         timestamptz NOT NULL
);
CREATE INDEX login_throttle_window ON login_throttle (window_started_at);
