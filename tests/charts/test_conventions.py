"""The values users expect of a chart (service account, pod metadata, extra env and volumes,
placement) reach the pods they should, and only within the fleet's hardening."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from .conftest import GENERIC, RELEASE, RenderError, find, render

CI_VALUES = str(GENERIC / "ci" / "identity-values.yaml")
FULL = f"{RELEASE}-fleet-service"
# The Kubernetes release `make chart-validate` checks against (mk/30-charts.mk).
K8S_VERSION = "1.35.0"


def render_with(tmp_path: Path, values: dict[str, Any]) -> list[dict[str, Any]]:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return render(GENERIC, (CI_VALUES, str(path)))


def deployment_pod(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return find(docs, "Deployment", FULL)["spec"]["template"]


def job_pod(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return find(docs, "Job", f"{FULL}-migrate")["spec"]["template"]


def container(pod: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = (c for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"] if c["name"] == name)
    return found


def test_the_service_account_carries_cloud_iam_annotations_without_a_token(tmp_path):
    role = {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/fleet-identity"}
    docs = render_with(tmp_path, {"serviceAccount": {"annotations": role}})
    account = find(docs, "ServiceAccount", FULL)
    assert account["metadata"]["annotations"] == role
    assert account["automountServiceAccountToken"] is False
    pod = deployment_pod(docs)["spec"]
    assert pod["serviceAccountName"] == FULL
    assert pod["automountServiceAccountToken"] is False


def test_an_existing_service_account_is_used_when_the_chart_creates_none(tmp_path):
    docs = render_with(tmp_path, {"serviceAccount": {"create": False, "name": "shared-reader"}})
    assert [d for d in docs if d["kind"] == "ServiceAccount"] == []
    assert deployment_pod(docs)["spec"]["serviceAccountName"] == "shared-reader"


def test_pod_labels_and_annotations_reach_the_service_pods_but_not_the_selector(tmp_path):
    docs = render_with(tmp_path, {"podLabels": {"team": "accounts"}, "podAnnotations": {"example.com/scrape": "false"}})
    deployment = find(docs, "Deployment", FULL)
    meta = deployment["spec"]["template"]["metadata"]
    assert meta["labels"]["team"] == "accounts"
    assert meta["labels"]["app.kubernetes.io/name"] == "fleet-service"
    assert meta["annotations"] == {"example.com/scrape": "false"}
    assert "team" not in deployment["spec"]["selector"]["matchLabels"]
    assert "team" not in find(docs, "Service", FULL)["metadata"]["labels"]


@pytest.mark.parametrize("key", ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component"])
@pytest.mark.parametrize("where", ["podLabels", "migrations.podLabels"])
def test_pod_labels_cannot_replace_a_selector_label(tmp_path, key, where):
    values: dict[str, Any] = {"podLabels": {key: "other"}}
    if where == "migrations.podLabels":
        values = {"migrations": values}
    with pytest.raises(RenderError, match=f"{where} may not set {key}"):
        render_with(tmp_path, values)


def test_the_hook_job_pod_takes_its_own_labels_and_annotations_not_the_services(tmp_path):
    docs = render_with(
        tmp_path,
        {
            "migrations": {"mode": "hook", "podLabels": {"team": "db"}, "podAnnotations": {"a.example/b": "c"}},
            "podLabels": {"team": "accounts"},
            "podAnnotations": {"sidecar.istio.io/inject": "true"},
        },
    )
    meta = job_pod(docs)["metadata"]
    assert meta["labels"]["team"] == "db"
    assert meta["labels"]["app.kubernetes.io/name"] == "fleet-service-migrate"
    assert meta["annotations"] == {"a.example/b": "c"}


EXTRA_ENV = [
    {"name": "EXAMPLE_FLAG", "value": "on"},
    {"name": "EXAMPLE_LIMIT", "valueFrom": {"configMapKeyRef": {"name": "tuning", "key": "limit"}}},
]
EXTRA_ENV_FROM = [{"configMapRef": {"name": "tuning"}, "prefix": "TUNING_"}]


@pytest.mark.parametrize(("mode", "where"), [("initContainer", deployment_pod), ("hook", job_pod)])
def test_extra_env_reaches_the_service_and_migrate_containers(tmp_path, mode, where):
    docs = render_with(tmp_path, {"migrations": {"mode": mode}, "extraEnv": EXTRA_ENV, "extraEnvFrom": EXTRA_ENV_FROM})
    names = ["migrate"] if mode == "hook" else ["migrate", "identity"]
    for name in names:
        found = container(where(docs), name)
        assert found["env"][-2:] == EXTRA_ENV, name
        assert found["envFrom"] == EXTRA_ENV_FROM, name
        assert [e["name"] for e in found["env"]].count("DATABASE_URL_FILE") == 1, name


@pytest.mark.parametrize("name", ["DATABASE_URL_FILE", "DB_POOL_MAX_SIZE", "GRANIAN_WORKERS", "SERVICE_NAME"])
def test_extra_env_cannot_replace_a_variable_the_chart_sets(tmp_path, name):
    with pytest.raises(RenderError, match=f"extraEnv sets {name}"):
        render_with(tmp_path, {"extraEnv": [{"name": name, "value": "x"}]})


def test_an_extra_env_entry_has_a_value_or_a_source_not_both(tmp_path):
    both = {"name": "X", "value": "1", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
    with pytest.raises(RenderError, match="extraEnv"):
        render_with(tmp_path, {"extraEnv": [both]})


EXTRA_VOLUMES = [{"name": "ca-bundle", "configMap": {"name": "corporate-ca"}}]
EXTRA_MOUNTS = [{"name": "ca-bundle", "mountPath": "/etc/ssl/corporate", "readOnly": True}]


@pytest.mark.parametrize(("mode", "where"), [("initContainer", deployment_pod), ("hook", job_pod)])
def test_extra_volumes_are_mounted_in_the_service_and_migrate_containers(tmp_path, mode, where):
    docs = render_with(
        tmp_path, {"migrations": {"mode": mode}, "extraVolumes": EXTRA_VOLUMES, "extraVolumeMounts": EXTRA_MOUNTS}
    )
    pod = where(docs)
    assert pod["spec"]["volumes"][-1] == EXTRA_VOLUMES[0]
    assert {v["name"] for v in pod["spec"]["volumes"]} >= {"database-url", "tmp", "ca-bundle"}
    for name in ["migrate"] if mode == "hook" else ["migrate", "identity"]:
        assert container(pod, name)["volumeMounts"][-1] == EXTRA_MOUNTS[0], name


def test_an_extra_mount_of_a_volume_the_pod_lacks_fails(tmp_path):
    with pytest.raises(RenderError, match="extraVolumeMounts mounts ca-bundle, which is not a volume"):
        render_with(tmp_path, {"extraVolumeMounts": EXTRA_MOUNTS})


@pytest.mark.parametrize(
    "volume",
    [
        {"name": "host", "hostPath": {"path": "/var/run"}},
        {"name": "tmp", "emptyDir": {}},
        {"name": "database-url", "secret": {"secretName": "other"}},
        {"name": "two", "emptyDir": {}, "configMap": {"name": "x"}},
    ],
    ids=["hostPath-breaks-restricted", "reserved-tmp", "reserved-database-url", "two-sources"],
)
def test_an_extra_volume_outside_restricted_pod_security_or_reserved_fails(tmp_path, volume):
    with pytest.raises(RenderError, match="extraVolumes"):
        render_with(tmp_path, {"extraVolumes": [volume]})


PLACEMENT = {
    "priorityClassName": "fleet-critical",
    "imagePullSecrets": ["registry-a", {"name": "registry-b"}],
    "nodeSelector": {"pool": "fleet"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "fleet", "effect": "NoSchedule"}],
    "affinity": {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "arch", "operator": "In", "values": ["arm64"]}]}]
            }
        },
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"a": "b"}}}
            ]
        },
    },
}


def test_placement_values_reach_every_pod_of_the_service(tmp_path):
    docs = render_with(tmp_path, {**PLACEMENT, "migrations": {"mode": "hook"}})
    pods = {
        "deployment": deployment_pod(docs)["spec"],
        "job": job_pod(docs)["spec"],
        "smoke": find(docs, "Pod", f"{FULL}-smoke")["spec"],
    }
    for where, spec in pods.items():
        assert spec["priorityClassName"] == "fleet-critical", where
        assert spec["imagePullSecrets"] == [{"name": "registry-a"}, {"name": "registry-b"}], where
        assert spec["nodeSelector"] == {"pool": "fleet"}, where
        assert spec["tolerations"] == PLACEMENT["tolerations"], where
        assert spec["affinity"]["nodeAffinity"] == PLACEMENT["affinity"]["nodeAffinity"], where
    assert pods["deployment"]["affinity"] == PLACEMENT["affinity"]
    # A one-shot pod with the service's required anti-affinity could not land next to a replica.
    assert "podAntiAffinity" not in pods["job"]["affinity"]
    assert "podAntiAffinity" not in pods["smoke"]["affinity"]


def test_no_placement_is_rendered_by_default(tmp_path):
    docs = render_with(tmp_path, {"migrations": {"mode": "hook"}})
    for spec in (deployment_pod(docs)["spec"], job_pod(docs)["spec"], find(docs, "Pod", f"{FULL}-smoke")["spec"]):
        assert not {"priorityClassName", "imagePullSecrets", "nodeSelector", "tolerations", "affinity"} & set(spec)


@pytest.mark.parametrize(
    "typo",
    [
        {"tolerations": [{"key": "a", "operator": "Equals"}]},
        {"affinity": {"nodeAffinitty": {}}},
        {"serviceAccount": {"annotation": {}}},
        {"extraVolumeMounts": [{"name": "x", "mountpath": "/x"}]},
        {"extraEnvFrom": [{"secretRef": {"nam": "x"}}]},
    ],
    ids=["toleration-operator", "affinity-key", "service-account-key", "mount-key", "env-from-key"],
)
def test_a_typo_in_the_new_values_fails(tmp_path, typo):
    with pytest.raises(RenderError):
        render_with(tmp_path, typo)


def test_every_new_value_set_at_once_renders_objects_kubernetes_accepts(tmp_path):
    values = {
        **PLACEMENT,
        "migrations": {"mode": "hook", "podLabels": {"team": "db"}, "serviceAccount": {"annotations": {"a/b": "c"}}},
        "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/x"}},
        "podLabels": {"team": "accounts"},
        "podAnnotations": {"example.com/note": "yes"},
        "extraEnv": EXTRA_ENV,
        "extraEnvFrom": EXTRA_ENV_FROM,
        "extraVolumes": EXTRA_VOLUMES,
        "extraVolumeMounts": EXTRA_MOUNTS,
    }
    docs = render_with(tmp_path, values)
    assert {d["kind"] for d in docs} >= {"Deployment", "Job", "Pod", "ServiceAccount"}
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
