# Benchmarks (issue 8; docs/performance.md). Never part of `make test`: nothing here is added to
# TEST_TARGETS or LINT_TARGETS. Needs wrk, the local PostgreSQL, and roughly 5 idle minutes.
BENCH_ARGS ?=

.PHONY: bench-envs
bench-envs: ## The FastAPI peer's and the chart renderer's own environments (their own locks, outside the workspace).
	$(UV) sync --frozen --project bench/peers/fastapi
	$(UV) sync --frozen --project bench/chart

.PHONY: bench
bench: sync bench-envs ## Fleet vs FastAPI peer vs bare Granian ceiling, A/B/A/B; BENCH_ARGS="--rounds 5 ..." (never in `make test`).
	@command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install -y wrk)"; exit 1; }
	$(PY) python bench/run.py $(BENCH_ARGS)
