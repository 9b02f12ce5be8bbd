"""Hook objects (migration Job, its ServiceAccount and NetworkPolicy, the smoke test) run under
their own identity and leave nothing behind, whether they succeed or fail.

helm uninstall never deletes hook objects (only the release's manifest), so whatever a hook run
leaves stays until someone deletes it. `leftovers` follows Helm 4's pkg/action/hooks.go: the hooks
of one event run in weight order; when all succeed, those with `hook-succeeded` are deleted; when
one fails, it is deleted if it has `hook-failed`, the hooks before it if they have
`hook-succeeded`, and the later ones are never created.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import RELEASE, SERVICES, find, render

RUN_TO_COMPLETION = {"Job", "Pod"}


def hooks(docs: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    found = [d for d in docs if event in d["metadata"].get("annotations", {}).get("helm.sh/hook", "").split(",")]
    return sorted(found, key=lambda d: (weight(d), d["metadata"]["name"]))


def weight(doc: dict[str, Any]) -> int:
    return int(doc["metadata"]["annotations"].get("helm.sh/hook-weight", "0"))


def policies(doc: dict[str, Any]) -> set[str]:
    value = doc["metadata"]["annotations"].get("helm.sh/hook-delete-policy", "before-hook-creation")
    return set(value.split(","))


def cleaned_by_ttl(doc: dict[str, Any]) -> bool:
    """The TTL controller deletes a finished Job (and its pods) on its own, release or not."""
    return doc["kind"] == "Job" and doc["spec"].get("ttlSecondsAfterFinished") is not None


def leftovers(run: list[dict[str, Any]], failing: int | None) -> list[str]:
    """Objects a hook run leaves in the cluster; `failing` is the index of the hook that fails."""
    if failing is None:
        kept = [h for h in run if "hook-succeeded" not in policies(h)]
    else:
        before = [h for h in run[:failing] if "hook-succeeded" not in policies(h)]
        failed = [] if "hook-failed" in policies(run[failing]) else [run[failing]]
        kept = before + failed
    return [f"{h['kind']}/{h['metadata']['name']}" for h in kept if not cleaned_by_ttl(h)]


def outcomes(run: list[dict[str, Any]]) -> list[int | None]:
    return [None] + [i for i, h in enumerate(run) if h["kind"] in RUN_TO_COMPLETION]


@pytest.fixture(scope="module", params=["values-production.yaml", "values-kind.yaml"])
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(values=(request.param,))


@pytest.mark.parametrize("event", ["pre-install", "pre-upgrade", "test"])
def test_no_hook_object_outlives_its_run_whether_it_succeeds_or_fails(rendered, event):
    run = hooks(rendered, event)
    for failing in outcomes(run):
        what = "success" if failing is None else f"failure of {run[failing]['metadata']['name']}"
        assert leftovers(run, failing) == [], what


def test_the_leftover_model_catches_a_hook_kept_after_success_or_failure():
    job = {"kind": "Job", "metadata": {"name": "j", "annotations": {"helm.sh/hook-delete-policy": "hook-succeeded"}}}
    policy = {"kind": "NetworkPolicy", "metadata": {"name": "np", "annotations": {}}}
    pod = {"kind": "Pod", "metadata": {"name": "p", "annotations": {"helm.sh/hook-delete-policy": "hook-succeeded"}}}
    job["spec"] = {}
    assert leftovers([policy, job], None) == ["NetworkPolicy/np"]
    assert leftovers([job], 0) == ["Job/j"]
    assert leftovers([pod], 0) == ["Pod/p"]
    job["spec"] = {"ttlSecondsAfterFinished": 600}
    assert leftovers([job], 0) == []


def test_hooks_are_recreated_on_every_run(rendered):
    for doc in rendered:
        if "helm.sh/hook" in doc["metadata"].get("annotations", {}):
            assert "before-hook-creation" in policies(doc), doc["metadata"]["name"]


def test_failed_run_to_completion_hooks_print_their_logs(rendered):
    for doc in rendered:
        annotations = doc["metadata"].get("annotations", {})
        if "helm.sh/hook" in annotations and doc["kind"] in RUN_TO_COMPLETION:
            assert "hook-failed" in annotations.get("helm.sh/hook-output-log-policy", ""), doc["metadata"]["name"]


@pytest.mark.parametrize("svc", SERVICES)
def test_the_migration_job_runs_under_its_own_service_account_without_a_token(production, svc):
    job = find(production, "Job", f"{RELEASE}-{svc}-migrate")
    spec = job["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == f"{RELEASE}-{svc}-migrate"
    assert (
        spec["serviceAccountName"]
        != find(production, "Deployment", f"{RELEASE}-{svc}")["spec"]["template"]["spec"]["serviceAccountName"]
    )
    assert spec["automountServiceAccountToken"] is False
    account = find(production, "ServiceAccount", f"{RELEASE}-{svc}-migrate")
    assert account["automountServiceAccountToken"] is False
    # A hook too (the release's own objects do not exist yet at pre-install), created before the Job.
    assert account["metadata"]["annotations"]["helm.sh/hook"] == job["metadata"]["annotations"]["helm.sh/hook"]
    assert weight(account) < weight(job)


def test_the_migration_service_account_can_carry_its_own_iam_annotations():
    role = {"iam.gke.io/gcp-service-account": "fleet-migrate@example.iam.gserviceaccount.com"}
    docs = render(
        values=("values-production.yaml",),
        sets=(
            f"avatars.migrations.serviceAccount.annotations.iam\\.gke\\.io/gcp-service-account={role['iam.gke.io/gcp-service-account']}",
        ),
    )
    annotations = find(docs, "ServiceAccount", f"{RELEASE}-avatars-migrate")["metadata"]["annotations"]
    assert annotations["iam.gke.io/gcp-service-account"] == role["iam.gke.io/gcp-service-account"]
    assert "iam.gke.io/gcp-service-account" not in find(docs, "ServiceAccount", f"{RELEASE}-avatars")["metadata"].get(
        "annotations", {}
    )


def test_no_migration_service_account_without_a_migration_job(kind):
    for svc in SERVICES:
        names = {d["metadata"]["name"] for d in kind if d["kind"] == "ServiceAccount"}
        assert f"{RELEASE}-{svc}-migrate" not in names
