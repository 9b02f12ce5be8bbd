# Python tiers: lint, type checks, slice and kit tests, standards checks.
SERVICES := $(notdir $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml)))
PYTEST := $(PY) pytest

.PHONY: fmt
fmt: ## Format and auto-fix with ruff.
	$(PY) ruff format .
	$(PY) ruff check --fix .

.PHONY: ruff
ruff: ## ruff lint and format check.
	$(PY) ruff check .
	$(PY) ruff format --check .

.PHONY: mypy
mypy: ## mypy --strict over the kit and every service.
	$(PY) mypy -p fleetkit $(addprefix -p ,$(SERVICES))

.PHONY: imports
imports: ## import-linter contracts (slices independent, handlers free of HTTP code).
	$(PY) lint-imports

.PHONY: test-standards
test-standards: ## The standards checks, each proven on a planted violation.
	$(PYTEST) tests/standards -n auto

.PHONY: test-unit
test-unit: ## Kit and slice tests against the real PostgreSQL.
	$(PYTEST) base-image/fleetkit/tests $(wildcard services/*/tests) -n auto

LINT_TARGETS += ruff mypy imports test-standards
TEST_TARGETS += lint test-unit
