# Observability (issue 7): traces across services into an OTLP receiver, a real Prometheus scraping the
# local fleet, promtool on every /metrics, and the chart's dashboard and rules checked against a live scrape.
# The rules are read as `make chart-rules` renders them (git-ignored), so they are rendered first if absent.
PROMETHEUS_BIN ?= /usr/bin/prometheus

.PHONY: prometheus
prometheus: ## Check prometheus + promtool; only root (CI here) installs Debian's package when missing.
	@if [[ -x $(PROMETHEUS_BIN) ]] && command -v promtool >/dev/null; then echo "prometheus: present"; \
	elif [[ $$(id -u) == 0 ]] && command -v apt-get >/dev/null; then apt-get update && apt-get install -y --no-install-recommends prometheus; \
	else echo "prometheus: need $(PROMETHEUS_BIN) and promtool, Prometheus >= 2.42 (Debian/Ubuntu: sudo apt-get install prometheus; macOS: brew install prometheus, then PROMETHEUS_BIN=\$$(command -v prometheus))" >&2; exit 1; fi

.PHONY: test-observability
test-observability: prometheus ## Local fleet -> OTLP receiver and Prometheus: traces, logs, metrics, dashboard/rules names.
	if ! compgen -G 'tests/charts/rules/rendered/*.rules.yaml' >/dev/null; then $(MAKE) chart-rules; fi
	$(PYTEST) tests/observability

TEST_TARGETS += test-observability
