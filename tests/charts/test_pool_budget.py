"""Rendering fails when the pods that can exist at once could open more connections than budgeted.

Need = (HPA max, or replicas, + rollout surge) x Granian workers x DB_POOL_MAX_SIZE + 1 migration.
"""

from __future__ import annotations

import pytest

from .conftest import GENERIC, RenderError, render

LINT_VALUES = (str(GENERIC / "ci" / "identity-values.yaml"),)


def test_replicas_within_the_budget_render():
    # (5 + 1 surge) x 1 x 9 + 1 = 55 <= 55
    render(GENERIC, LINT_VALUES, ("replicas=5", "settings.dbPoolMaxSize=9", "database.connectionBudget=55"))


def test_one_connection_over_the_budget_fails_with_the_arithmetic():
    with pytest.raises(RenderError) as failed:
        render(GENERIC, LINT_VALUES, ("replicas=5", "settings.dbPoolMaxSize=9", "database.connectionBudget=54"))
    message = failed.value.args[0]
    assert "pool budget exceeded" in message
    assert "6 pods (max replicas + surge) x 1 workers x 9 DB_POOL_MAX_SIZE + 1 migration = 55" in message
    assert "database.connectionBudget 54" in message


def test_hpa_max_replicas_count_not_the_replicas_value():
    sets = ("replicas=1", "autoscaling.enabled=true", "autoscaling.maxReplicas=10", "database.connectionBudget=100")
    with pytest.raises(RenderError, match=r"11 pods .* = 111 connections > database.connectionBudget 100"):
        render(GENERIC, LINT_VALUES, sets)


def test_more_than_one_worker_per_pod_is_refused():
    """One worker per pod keeps each pod's /metrics complete; the schema holds the line."""
    with pytest.raises(RenderError, match=r"workers"):
        render(GENERIC, LINT_VALUES, ("replicas=2", "granian.workers=4", "database.connectionBudget=120"))


def test_shipped_values_fit_their_budgets(manifests):
    # Rendering every shipped values file succeeded, so each fits; kind leaves room to scale
    # avatars to 3 pods: (3 + 1) x 1 x 5 + 1 = 21 <= 30.
    assert manifests


def test_scaling_avatars_to_three_fits_the_kind_budget():
    from .conftest import UMBRELLA

    render(UMBRELLA, ("values-kind.yaml",), ("avatars.replicas=3",))
