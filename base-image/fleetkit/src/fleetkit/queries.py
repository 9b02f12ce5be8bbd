"""The kit's own SQL: the migrations ledger and the readiness probe."""

ADVISORY_LOCK = "SELECT pg_advisory_lock($1)"
ADVISORY_UNLOCK = "SELECT pg_advisory_unlock($1)"
CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     text PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""
SELECT_APPLIED_MIGRATIONS = "SELECT version, checksum FROM schema_migrations ORDER BY version"
INSERT_MIGRATION = "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)"
# A database with no schema_migrations table fails this at parse time (undefined_table): the
# readiness check reads that error as "no migrations applied", a state, not a fault.
SELECT_SCHEMA_AT_VERSION = "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)"
