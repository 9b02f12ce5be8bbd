# Documentation that is generated from the code, and the check that it is current.

.PHONY: docs-config
docs-config: ## Regenerate docs/configuration.md from the settings Structs.
	$(PY) python scripts/config_reference.py

.PHONY: test-docs
test-docs: ## Fail when docs/configuration.md no longer matches the settings Structs.
	$(PY) python scripts/config_reference.py --check

TEST_TARGETS += test-docs
