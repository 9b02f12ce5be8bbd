"""Every pod the charts render meets restricted Pod Security and the fleet's hardening rules."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import RELEASE, SERVICES, find, pod_spec

# Only the dev Prometheus (off by default and in production) lists pods through the API.
TOKEN_ALLOWED = {f"{RELEASE}-prometheus"}


def pods(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for doc in docs:
        spec = pod_spec(doc)
        if spec is not None:
            found.append((f"{doc['kind']}/{doc['metadata']['name']}", spec))
    return found


def test_every_container_is_restricted(manifests):
    for name, spec in pods(manifests):
        pod_ctx = spec["securityContext"]
        assert pod_ctx["runAsNonRoot"] is True, name
        assert pod_ctx["seccompProfile"]["type"] == "RuntimeDefault", name
        for container in spec.get("initContainers", []) + spec["containers"]:
            ctx = container["securityContext"]
            where = f"{name}:{container['name']}"
            assert ctx["allowPrivilegeEscalation"] is False, where
            assert ctx["readOnlyRootFilesystem"] is True, where
            assert ctx["capabilities"]["drop"] == ["ALL"], where
            assert ctx["runAsNonRoot"] is True, where
            assert ctx["seccompProfile"]["type"] == "RuntimeDefault", where
            assert container["resources"]["limits"]["memory"], where


def test_no_service_account_token_is_mounted(manifests):
    for name, spec in pods(manifests):
        if name.split("/", 1)[1] in TOKEN_ALLOWED:
            continue
        assert spec["automountServiceAccountToken"] is False, name


def test_fleet_services_run_as_a_high_uid_with_their_own_service_account(manifests):
    for svc in SERVICES:
        spec = find(manifests, "Deployment", f"{RELEASE}-{svc}")["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsUser"] >= 10000
        assert spec["serviceAccountName"] == f"{RELEASE}-{svc}"
        account = find(manifests, "ServiceAccount", f"{RELEASE}-{svc}")
        assert account["automountServiceAccountToken"] is False


def test_secrets_arrive_as_files_never_as_env_values(manifests):
    for name, spec in pods(manifests):
        for container in spec.get("initContainers", []) + spec["containers"]:
            for env in container.get("env", []):
                assert "secretKeyRef" not in env.get("valueFrom", {}), f"{name}: {env['name']}"
            assert "envFrom" not in container, name


def test_every_service_has_spread_pdb_and_default_deny_policy(production):
    for svc in SERVICES:
        full = f"{RELEASE}-{svc}"
        spec = find(production, "Deployment", full)["spec"]["template"]["spec"]
        keys = {c["topologyKey"] for c in spec["topologySpreadConstraints"]}
        assert keys == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
        assert find(production, "PodDisruptionBudget", full)["spec"]["minAvailable"] == 1
        policy = find(production, "NetworkPolicy", full)
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]


def test_every_workload_pod_has_a_network_policy(manifests):
    selectors = [
        doc["spec"]["podSelector"].get("matchLabels", {}) for doc in manifests if doc["kind"] == "NetworkPolicy"
    ]
    for doc in manifests:
        spec = pod_spec(doc)
        if spec is None:
            continue
        labels = doc["metadata"]["labels"] if doc["kind"] == "Pod" else doc["spec"]["template"]["metadata"]["labels"]
        covered = any(sel.items() <= labels.items() for sel in selectors)
        assert covered, f"{doc['kind']}/{doc['metadata']['name']} has no NetworkPolicy"


@pytest.mark.parametrize("svc", SERVICES)
def test_hpa_scales_with_behaviour_in_production(production, svc):
    hpa = find(production, "HorizontalPodAutoscaler", f"{RELEASE}-{svc}")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    assert "replicas" not in find(production, "Deployment", f"{RELEASE}-{svc}")["spec"]
