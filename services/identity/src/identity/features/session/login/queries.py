SELECT_ACCOUNT_CREDENTIALS = "SELECT id, password_hash FROM accounts WHERE email = $1"
