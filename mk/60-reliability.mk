# Reliability and security suites (issue 9): the fleet as local processes on the real PostgreSQL.
# The fault tests stop and start a private PostgreSQL cluster of their own, never the shared one.
# Schemathesis runs as an isolated tool (uvx), so the workspace lock stays free of it (and of pydantic).
RELIABILITY_REPORT := .tools/reliability

.PHONY: test-reliability
test-reliability: ## Graceful shutdown, database and dependency faults, 60 s soak, secrets in logs.
	$(PYTEST) tests/reliability

.PHONY: test-security
test-security: ## Fuzzing (schemathesis), token attacks, authorization, abuse, secrets in logs.
	$(PYTEST) tests/security

.PHONY: soak
soak: ## 60 s of mixed load at a fixed rate: 0 errors, RSS growth under 10 % (figures in .tools/reliability).
	$(PYTEST) tests/reliability/test_soak.py tests/reliability/test_zz_secrets.py

TEST_TARGETS += test-reliability test-security
