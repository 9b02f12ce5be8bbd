# Observability (issue 7): traces across services into an OTLP receiver, a real Prometheus scraping the
# local fleet, promtool on every /metrics, and the chart's dashboard and rules checked against a live scrape.
# The rules are read as `make chart-rules` renders them (git-ignored), so they are rendered first if absent.
PROMETHEUS_BIN ?= /usr/bin/prometheus

.PHONY: prometheus
prometheus: ## Install Debian's prometheus (prometheus + promtool) when missing.
	@if [[ -x $(PROMETHEUS_BIN) ]] && command -v promtool >/dev/null; then echo "prometheus: present"; \
	else apt-get update && apt-get install -y --no-install-recommends prometheus; fi

.PHONY: test-observability
test-observability: prometheus ## Local fleet -> OTLP receiver and Prometheus: traces, logs, metrics, dashboard/rules names.
	if ! compgen -G 'tests/charts/rules/rendered/*.rules.yaml' >/dev/null; then $(MAKE) chart-rules; fi
	$(PYTEST) tests/observability

TEST_TARGETS += test-observability
