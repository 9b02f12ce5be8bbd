# Charts: lint, render, schema-validate, posture-scan and test the Helm charts; the kind e2e test.
CHARTS_DIR := charts
CHART_VALUES := values.yaml values-kind.yaml values-production.yaml
CHARTS_OUT := $(CURDIR)/.tools/rendered
# kubernetes-validate ships schemas up to 1.37; we validate against the release we target.
K8S_VERSION ?= 1.35.0
CHECKOV_VERSION ?= 3.3.30
CHECKOV := UV_PYTHON_DOWNLOADS=never uvx --from checkov==$(CHECKOV_VERSION) checkov

# helm and kubectl: the user's own when the versions fit, else installed without root into .tools/bin
# (Linux x86-64) by scripts/tools/install.py; elsewhere a clear error names the version needed.
.PHONY: k8s-tools
k8s-tools: ## helm >= 4.0 and kubectl >= 1.34: yours if they fit, else into .tools/bin (no root; Linux x86-64).
	$(PY) python scripts/tools/install.py k8s

.PHONY: promtool
promtool: ## Check promtool (make chart-rules needs it); never installs system packages.
	$(PY) python scripts/tools/prereqs.py rules

.PHONY: tools
tools: k8s-tools promtool ## Every tool of the chart tier: helm and kubectl (installed when missing), promtool (checked).

.PHONY: chart-deps
chart-deps: tools ## Package the generic chart into the umbrella chart (helm dependency build).
	helm dependency build $(CHARTS_DIR)/fleet

.PHONY: chart-lint
chart-lint: chart-deps ## helm lint --strict: the generic chart and the umbrella with every values file.
	helm lint --strict $(CHARTS_DIR)/fleet-service -f $(CHARTS_DIR)/fleet-service/ci/identity-values.yaml
	for v in $(CHART_VALUES); do helm lint --strict $(CHARTS_DIR)/fleet -f $(CHARTS_DIR)/fleet/$$v; done

.PHONY: chart-render
chart-render: chart-deps ## helm template for every values file into .tools/rendered/.
	mkdir -p $(CHARTS_OUT)
	for v in $(CHART_VALUES); do \
	  helm template fleet $(CHARTS_DIR)/fleet -n fleet -f $(CHARTS_DIR)/fleet/$$v > $(CHARTS_OUT)/fleet-$${v%.yaml}.yaml; \
	done
	helm template identity $(CHARTS_DIR)/fleet-service -n fleet \
	  -f $(CHARTS_DIR)/fleet-service/ci/identity-values.yaml > $(CHARTS_OUT)/fleet-service.yaml

.PHONY: chart-validate
chart-validate: chart-render ## Validate every rendered object against the Kubernetes $(K8S_VERSION) schemas.
	$(PY) python -m kubernetes_validate --strict --quiet -k $(K8S_VERSION) $(CHARTS_OUT)/*.yaml

.PHONY: chart-checkov
chart-checkov: chart-render ## checkov posture scan of the production example: 0 failed checks.
	cd $(CHARTS_OUT) && $(CHECKOV) --framework kubernetes --skip-download --compact --quiet -f fleet-values-production.yaml

.PHONY: chart-rules
chart-rules: chart-render tools ## promtool check rules and test rules on the rendered PrometheusRules.
	$(PY) python scripts/charts/extract-rules.py $(CHARTS_OUT)/fleet-values-production.yaml tests/charts/rules/rendered
	promtool check rules tests/charts/rules/rendered/*.rules.yaml
	promtool test rules tests/charts/rules/*.test.yaml

.PHONY: chart-pytest
chart-pytest: chart-deps ## pytest over rendered manifests (hardening, probes, budget, env wiring) and the kind harness.
	$(PY) pytest tests/charts tests/kind -n auto

.PHONY: test-charts
test-charts: chart-lint chart-validate chart-checkov chart-rules chart-pytest ## Every chart check that runs without a cluster.

.PHONY: shellcheck
shellcheck: ## shellcheck the image scripts and CI's entry point.
	$(PY) shellcheck -x scripts/images/*.sh .ci/run .ci/unprivileged

.PHONY: kind-check
kind-check: ## The prerequisites of kind-test by version (docker, kind, helm, kubectl, uv, Python 3.13).
	python3 scripts/tools/prereqs.py kind

.PHONY: kind-test
kind-test: sync k8s-tools ## kind cluster, images, install, e2e, traces, metrics, restart and scale (scripts/kind/kind_test.py).
	$(PY) python scripts/kind/kind_test.py run

TEST_TARGETS += test-charts
LINT_TARGETS += shellcheck
