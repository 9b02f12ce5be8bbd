"""The dev PostgreSQL (kind and dev) keeps its data on a claim, so deleting its pod loses nothing."""

from __future__ import annotations

from typing import Any

from .conftest import RELEASE, find, render

NAME = f"{RELEASE}-postgresql"


def statefulset(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return find(docs, "StatefulSet", NAME)


def data_mount(spec: dict[str, Any]) -> dict[str, Any]:
    (container,) = spec["template"]["spec"]["containers"]
    (mount,) = (m for m in container["volumeMounts"] if m["name"] == "data")
    return mount


def test_the_data_directory_is_a_claim_of_the_statefulset_not_a_pod_volume(kind):
    spec = statefulset(kind)["spec"]
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "2Gi"
    assert "data" not in {v["name"] for v in spec["template"]["spec"]["volumes"]}
    mount = data_mount(spec)
    (container,) = spec["template"]["spec"]["containers"]
    pgdata = next(e["value"] for e in container["env"] if e["name"] == "PGDATA")
    # A subfolder of the mount: the volume's root may hold lost+found, which initdb refuses.
    assert pgdata.startswith(mount["mountPath"] + "/")


def test_the_claim_survives_the_pod_but_not_the_release(kind):
    policy = statefulset(kind)["spec"]["persistentVolumeClaimRetentionPolicy"]
    assert policy == {"whenDeleted": "Delete", "whenScaled": "Retain"}


def test_the_claim_uses_the_storage_class_asked_for():
    docs = render(values=("values-kind.yaml",), sets=("postgresql.storageClassName=fast-ssd",))
    (claim,) = statefulset(docs)["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "fast-ssd"
    (default,) = statefulset(render(values=("values-kind.yaml",)))["spec"]["volumeClaimTemplates"]
    assert "storageClassName" not in default["spec"]


def test_without_persistence_the_data_is_an_empty_dir():
    docs = render(values=("values-kind.yaml",), sets=("postgresql.persistence=false",))
    spec = statefulset(docs)["spec"]
    assert "volumeClaimTemplates" not in spec
    assert {"name": "data", "emptyDir": {}} in spec["template"]["spec"]["volumes"]
