"""Topology spread keeps spreading the service's pods on clusters without zone labels.

The scheduler's PodTopologySpread scoring (pkg/scheduler/framework/plugins/podtopologyspread,
scoring.go) skips every node that lacks the topologyKey of any of the pod's constraints and scores
it 0: on such a cluster a zone constraint next to the hostname one leaves every node at 0, and the
pods are no longer spread at all. `spread_scored_nodes` restates that rule; no scheduler runs here.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import RELEASE, SERVICES, find, render

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"

# The labels a kind node (tests/kind/cluster.yaml) and a typical on-prem kubeadm node carry: no zone.
ZONELESS_NODE = {HOSTNAME: "fleet-kind-worker", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
CLOUD_NODE = {**ZONELESS_NODE, ZONE: "eu-west-1a", "topology.kubernetes.io/region": "eu-west-1"}


def spread_scored_nodes(constraints: list[dict[str, Any]], nodes: list[dict[str, str]]) -> list[dict[str, str]]:
    """The nodes the spread scoring ranks: those carrying the key of every constraint."""
    return [node for node in nodes if all(c["topologyKey"] in node for c in constraints)]


def constraints(docs: list[dict[str, Any]], svc: str) -> list[dict[str, Any]]:
    spec = find(docs, "Deployment", f"{RELEASE}-{svc}")["spec"]["template"]["spec"]
    return spec["topologySpreadConstraints"]


@pytest.mark.parametrize("values", ["values.yaml", "values-kind.yaml"])
@pytest.mark.parametrize("svc", SERVICES)
def test_pods_are_spread_over_nodes_that_have_no_zone_label(values, svc):
    found = constraints(render(values=(values,)), svc)
    assert {c["topologyKey"] for c in found} == {HOSTNAME}
    assert spread_scored_nodes(found, [ZONELESS_NODE]) == [ZONELESS_NODE]


@pytest.mark.parametrize("svc", SERVICES)
def test_the_production_example_also_spreads_over_zones(production, svc):
    found = constraints(production, svc)
    assert {c["topologyKey"] for c in found} == {HOSTNAME, ZONE}
    assert spread_scored_nodes(found, [CLOUD_NODE]) == [CLOUD_NODE]


def test_every_spread_constraint_is_a_preference_so_pods_always_schedule(manifests):
    for doc in manifests:
        if doc["kind"] == "Deployment":
            for constraint in doc["spec"]["template"]["spec"].get("topologySpreadConstraints", []):
                assert constraint["whenUnsatisfiable"] == "ScheduleAnyway", doc["metadata"]["name"]


def test_the_rule_drops_every_zoneless_node_once_a_zone_constraint_is_added():
    both = [{"topologyKey": HOSTNAME}, {"topologyKey": ZONE}]
    assert spread_scored_nodes(both, [ZONELESS_NODE, ZONELESS_NODE]) == []


def test_zone_spread_can_be_turned_off_and_on_per_service():
    docs = render(values=("values.yaml",), sets=("social.topologySpread.acrossZones=true",))
    assert {c["topologyKey"] for c in constraints(docs, "social")} == {HOSTNAME, ZONE}
    assert {c["topologyKey"] for c in constraints(docs, "avatars")} == {HOSTNAME}
