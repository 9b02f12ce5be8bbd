"""NetworkPolicies follow the declared peers; the public routes never expose /metrics."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import RELEASE, SERVICES, find

PEERS = {"identity": set(), "avatars": {"identity"}, "social": {"identity", "avatars"}}


def peer_names(rules: list[dict[str, Any]], port: int | str) -> set[str]:
    names = set()
    for rule in rules:
        if not any(p["port"] == port for p in rule.get("ports", [])):
            continue
        for peer in rule.get("to", rule.get("from", [])):
            labels = peer.get("podSelector", {}).get("matchLabels", {})
            if "app.kubernetes.io/name" in labels and labels.get("app.kubernetes.io/component") != "smoke-test":
                names.add(labels["app.kubernetes.io/name"])
    return names


@pytest.mark.parametrize("svc", SERVICES)
def test_egress_reaches_only_the_declared_peers(manifests, svc):
    spec = find(manifests, "NetworkPolicy", f"{RELEASE}-{svc}")["spec"]
    assert peer_names(spec["egress"], 8000) == PEERS[svc]
    ports = sorted({p["port"] for rule in spec["egress"] for p in rule["ports"]})
    assert ports == sorted({53, 5432, 4318} | ({8000} if PEERS[svc] else set()))


@pytest.mark.parametrize("svc", SERVICES)
def test_ingress_admits_the_services_that_call_this_one(manifests, svc):
    spec = find(manifests, "NetworkPolicy", f"{RELEASE}-{svc}")["spec"]
    callers = {name for name, peers in PEERS.items() if svc in peers}
    assert peer_names(spec["ingress"], "http") == callers
    assert all(p["port"] == "http" for rule in spec["ingress"] for p in rule["ports"])


def test_kind_points_the_policies_at_the_dev_components(kind):
    spec = find(kind, "NetworkPolicy", f"{RELEASE}-avatars")["spec"]
    text = str(spec)
    for component in ("dev-postgresql", "dev-otel-collector", "dev-prometheus"):
        assert component in text


def test_public_routes_carry_only_api_prefixes(production):
    ingresses = [d for d in production if d["kind"] == "Ingress"]
    assert len(ingresses) == 3
    for ingress in ingresses:
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["path"].startswith(("/v1/", "/.well-known/")), path


def test_schema_rejects_routing_metrics(production):
    from .conftest import GENERIC, RenderError, render

    lint = str(GENERIC / "ci" / "identity-values.yaml")
    with pytest.raises(RenderError, match="paths"):
        render(
            GENERIC, (lint,), ("ingress.enabled=true", "ingress.hosts[0]=a.example.com", "ingress.paths[0]=/metrics")
        )
    with pytest.raises(RenderError, match="paths"):
        render(GENERIC, (lint,), ("httpRoute.enabled=true", "httpRoute.parentRefs[0].name=gw", "httpRoute.paths[0]=/"))
    assert production
