# Scaffolding (issue 10): a new service or slice in the house layout, and the test that proves what
# they generate passes every check with no edits. The generator lives in scripts/scaffold/.
SCAFFOLD := $(PY) python scripts/scaffold/scaffold.py

.PHONY: new-service
new-service: ## NAME=x [SLICE=area/action] [DESCRIPTION=...]: services/x with one slice; uv lock + sync; prints chart values.
	$(if $(NAME),,$(error usage: make new-service NAME=<name> [SLICE=<area>/<action>] [DESCRIPTION="One sentence."]))
	$(SCAFFOLD) service $(NAME) $(if $(SLICE),--slice $(SLICE)) $(if $(DESCRIPTION),--description "$(DESCRIPTION)")
	$(UV) sync --frozen --all-packages

.PHONY: new-slice
new-slice: ## SERVICE=x SLICE=area/action: a slice (5 files, test, migration) mounted in the service's app.py.
	$(if $(and $(SERVICE),$(SLICE)),,$(error usage: make new-slice SERVICE=<service> SLICE=<area>/<action>))
	$(SCAFFOLD) slice $(SERVICE) $(SLICE)

.PHONY: test-scaffold
test-scaffold: ## Generate a service and slices in a copy of the repo; run ruff, mypy, imports, standards, their tests.
	$(PYTEST) tests/scaffold

.PHONY: docs-architecture
docs-architecture: ## Re-render docs/architecture.svg from docs/architecture.dot (graphviz `dot`).
	@command -v dot >/dev/null || { echo "graphviz missing: apt-get install -y graphviz (or brew install graphviz)"; exit 1; }
	dot -Tsvg docs/architecture.dot -o docs/architecture.svg

TEST_TARGETS += test-scaffold
