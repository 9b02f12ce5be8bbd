"""Rendering fails when a worker's memory cannot hold its baseline plus the work it bounds itself.

Need = workers x (memoryBudget.workerBaselineMiB + sum of boundedWork: setting x mibEach), against
resources.limits.memory. identity bounds its concurrent argon2id hashes (64 MiB each) with
IDENTITY_PASSWORD_HASH_CONCURRENCY; tests/images/test_memory_limit.py runs it at that limit.
"""

from __future__ import annotations

import pytest
import yaml

from identity.passwords import ARGON2_MEMORY_KIB

from .conftest import UMBRELLA, RenderError, render, service_container

CONCURRENCY = "identity.serviceSettings.IDENTITY_PASSWORD_HASH_CONCURRENCY"


def _env(docs, name: str) -> str:
    return next(e["value"] for e in service_container(docs, "identity")["env"] if e["name"] == name)


def test_the_shipped_identity_hashes_one_at_a_time_within_its_limit():
    docs = render(UMBRELLA, ("values.yaml",))
    assert _env(docs, "IDENTITY_PASSWORD_HASH_CONCURRENCY") == "1"


def test_a_second_concurrent_hash_does_not_fit_192_mib_and_rendering_says_why():
    with pytest.raises(RenderError) as failed:
        render(UMBRELLA, ("values.yaml",), (f"{CONCURRENCY}=2",))
    message = failed.value.args[0]
    assert "memory budget exceeded for fleet-identity" in message
    assert "1 workers x (112 MiB baseline + 2 IDENTITY_PASSWORD_HASH_CONCURRENCY x 64 MiB) = 240 MiB" in message
    assert "resources.limits.memory 192Mi (192 MiB)" in message


def test_a_larger_limit_makes_room_for_more_hashes():
    render(UMBRELLA, ("values.yaml",), (f"{CONCURRENCY}=2", "identity.resources.limits.memory=256Mi"))
    render(UMBRELLA, ("values.yaml",), (f"{CONCURRENCY}=14", "identity.resources.limits.memory=1Gi"))
    with pytest.raises(RenderError, match=r"= 1072 MiB > resources.limits.memory 1Gi \(1024 MiB\)"):
        render(UMBRELLA, ("values.yaml",), (f"{CONCURRENCY}=15", "identity.resources.limits.memory=1Gi"))


def test_the_kind_values_hold_two_hashes_but_not_three():
    render(UMBRELLA, ("values-kind.yaml",), (f"{CONCURRENCY}=2",))
    with pytest.raises(RenderError, match=r"memory budget exceeded"):
        render(UMBRELLA, ("values-kind.yaml",), (f"{CONCURRENCY}=3",))


def test_a_limit_in_bytes_is_understood():
    with pytest.raises(RenderError, match=r"resources.limits.memory 201326591 \(192 MiB\)"):
        render(UMBRELLA, ("values.yaml",), (f"{CONCURRENCY}=2", "identity.resources.limits.memory=201326591"))
    render(UMBRELLA, ("values.yaml",), ("identity.resources.limits.memory=201326592",))


def test_counting_a_setting_the_service_does_not_set_fails():
    with pytest.raises(RenderError, match=r"boundedWork counts AVATARS_NOTHING, which serviceSettings does not set"):
        render(
            UMBRELLA,
            ("values.yaml",),
            (
                "avatars.memoryBudget.boundedWork[0].setting=AVATARS_NOTHING",
                "avatars.memoryBudget.boundedWork[0].mibEach=8",
            ),
        )


def test_the_chart_counts_the_memory_cost_identity_hashes_with():
    values = yaml.safe_load((UMBRELLA / "values.yaml").read_text())
    (work,) = values["identity"]["memoryBudget"]["boundedWork"]
    assert work == {"setting": "IDENTITY_PASSWORD_HASH_CONCURRENCY", "mibEach": ARGON2_MEMORY_KIB // 1024}
