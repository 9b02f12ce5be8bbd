SELECT_ACCOUNT = "SELECT id, email, created_at FROM accounts WHERE id = $1"
