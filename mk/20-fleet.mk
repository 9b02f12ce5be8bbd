# The fleet as local processes: development loop and the black-box e2e suite.
KEYS_DIR ?= .dev/keys

.PHONY: dev
dev: sync ## Run the whole fleet locally with reload (DATABASE_URL, or a throwaway PostgreSQL).
	$(PY) python scripts/fleet.py dev

.PHONY: dev-db-stop
dev-db-stop: ## Stop the throwaway PostgreSQL that `make dev` started (data stays, in .dev/pg; as root in /var/tmp).
	$(PY) python scripts/fleet.py db-stop

.PHONY: keys
keys: sync ## Write identity's missing signing keys (current.pem, next.pem) into KEYS_DIR (.dev/keys).
	$(PY) python -m identity keygen $(KEYS_DIR)

.PHONY: rotate-keys
rotate-keys: sync ## Rotate the keys in KEYS_DIR: next -> current -> previous, new next (docs/deploy.md).
	$(PY) python -m identity rotate-keys $(KEYS_DIR)

.PHONY: test-e2e
test-e2e: ## Black-box e2e suite against a local fleet it starts (or FLEET_*_URL).
	$(PYTEST) tests/e2e

TEST_TARGETS += test-e2e
