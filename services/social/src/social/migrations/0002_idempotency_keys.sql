-- Idempotency-Key records of the creating POSTs (posts, comments): the shape the kit's
-- fleetkit.idempotency reads and writes. One row per (caller, key); response NULL while the
-- first request runs; purged after expires_at by the kit's sweep.
CREATE TABLE idempotency_keys (
    owner_id      uuid NOT NULL,
    key           text NOT NULL,
    fingerprint   bytea NOT NULL,
    response      bytea,
    created_at    timestamptz NOT NULL,
    locked_until  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (owner_id, key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
