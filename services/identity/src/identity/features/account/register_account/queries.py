INSERT_ACCOUNT = """
INSERT INTO accounts (id, email, password_hash, created_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT ON CONSTRAINT accounts_email_unique DO NOTHING
RETURNING id, email, created_at
"""
