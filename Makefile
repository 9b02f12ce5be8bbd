# The front door. `make help` lists every target. Each concern keeps its targets in mk/<concern>.mk;
# a fragment adds its test and lint targets to TEST_TARGETS / LINT_TARGETS so `make test` runs them all.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS ?= never
UV ?= uv
PY := $(UV) run --frozen
TOOLS_BIN := $(CURDIR)/.tools/bin
export PATH := $(TOOLS_BIN):$(PATH)

TEST_TARGETS :=
LINT_TARGETS :=

include $(sort $(wildcard mk/*.mk))

.PHONY: help
help: ## List every target with its one-line description.
	@grep -hE '^[a-zA-Z0-9_.-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2}'

.PHONY: sync
sync: ## Create .venv from uv.lock (all workspace members and dev tools).
	$(UV) sync --frozen --all-packages

.PHONY: lint
lint: sync $(LINT_TARGETS) ## ruff, mypy --strict, import-linter and the standards tests.

.PHONY: test
# TIERS_DONE names tiers already run on this very tree in the same CI job (.ci/run runs lint and
# test-charts as an unprivileged user first); they are not run twice. Empty for everyone else.
TIERS_DONE ?=
test: sync $(filter-out $(TIERS_DONE),$(TEST_TARGETS)) ## Every test tier that runs on this machine (benchmarks excluded).
	@if [[ -n "$(strip $(TIERS_DONE))" ]]; then echo "make test: $(TIERS_DONE) ran earlier in this job (as the unprivileged user); not repeated"; fi
