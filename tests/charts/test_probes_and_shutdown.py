"""Probes follow the kit's health semantics and the grace period always covers the shutdown sequence."""

from __future__ import annotations

import pytest

from .conftest import GENERIC, RELEASE, SERVICES, RenderError, find, render, service_container

LINT_VALUES = str(GENERIC / "ci" / "identity-values.yaml")


@pytest.mark.parametrize("svc", SERVICES)
def test_probes_hit_the_health_endpoints_on_port_8000(manifests, svc):
    container = service_container(manifests, svc)
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert container["startupProbe"]["httpGet"] == {"path": "/startupz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    # A database outage fails readiness only; liveness tolerates a few slow answers.
    assert container["livenessProbe"]["failureThreshold"] >= 3


@pytest.mark.parametrize("svc", SERVICES)
def test_grace_period_is_prestop_plus_drain_plus_shutdown_plus_margin(manifests, svc):
    deployment = find(manifests, "Deployment", f"{RELEASE}-{svc}")
    spec = deployment["spec"]["template"]["spec"]
    container = service_container(manifests, svc)
    env = {e["name"]: e.get("value") for e in container["env"]}
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    kill_timeout = int(env["GRANIAN_WORKERS_KILL_TIMEOUT"])  # drain + SHUTDOWN_TIMEOUT_S
    assert kill_timeout >= float(env["SHUTDOWN_TIMEOUT_S"])
    assert spec["terminationGracePeriodSeconds"] >= pre_stop + kill_timeout
    assert spec["terminationGracePeriodSeconds"] == pre_stop + kill_timeout + 5  # default margin


def test_explicit_grace_period_below_the_minimum_fails_rendering():
    with pytest.raises(RenderError, match="terminationGracePeriodSeconds=20 is below the 35 s"):
        render(GENERIC, (LINT_VALUES,), ("shutdown.terminationGracePeriodSeconds=20",))


def test_explicit_grace_period_above_the_minimum_is_kept():
    docs = render(GENERIC, (LINT_VALUES,), ("shutdown.terminationGracePeriodSeconds=90",))
    spec = find(docs, "Deployment", "fleet-fleet-service")["spec"]["template"]["spec"]
    assert spec["terminationGracePeriodSeconds"] == 90


def test_fractional_shutdown_budget_rounds_up(tmp_path):
    # --set turns 7.5 into a string, so the value comes from a file.
    extra = tmp_path / "values.yaml"
    extra.write_text("settings:\n  shutdownTimeoutS: 7.5\n")
    docs = render(GENERIC, (LINT_VALUES, str(extra)))
    spec = find(docs, "Deployment", "fleet-fleet-service")["spec"]["template"]["spec"]
    assert spec["terminationGracePeriodSeconds"] == 5 + 15 + 8 + 5


def test_kind_migrates_in_an_init_container_and_production_in_a_hook(kind, production):
    for svc in SERVICES:
        spec = find(kind, "Deployment", f"{RELEASE}-{svc}")["spec"]["template"]["spec"]
        (init,) = spec["initContainers"]
        assert init["command"] == ["python", "-m", svc, "migrate"]
        job = find(production, "Job", f"{RELEASE}-{svc}-migrate")
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
        prod_spec = find(production, "Deployment", f"{RELEASE}-{svc}")["spec"]["template"]["spec"]
        assert "initContainers" not in prod_spec


def test_hook_migrations_without_an_existing_secret_fail_rendering():
    with pytest.raises(RenderError, match=r"database\.existingSecret"):
        render(GENERIC, (), ("serviceName=identity", "migrations.mode=hook"))
