# The fleet as local processes: development loop and the black-box e2e suite.

.PHONY: dev
dev: sync ## Run the whole fleet locally with reload (DATABASE_URL, or a throwaway PostgreSQL).
	$(PY) python scripts/fleet.py dev

.PHONY: dev-db-stop
dev-db-stop: ## Stop the throwaway PostgreSQL that `make dev` started (data stays in .dev/pg).
	$(PY) python scripts/fleet.py db-stop

.PHONY: keys
keys: sync ## Generate identity signing keys into .dev/keys (rotates an existing current.pem).
	$(PY) python -m identity keygen .dev/keys

.PHONY: test-e2e
test-e2e: ## Black-box e2e suite against a local fleet it starts (or FLEET_*_URL).
	$(PYTEST) tests/e2e

TEST_TARGETS += test-e2e
