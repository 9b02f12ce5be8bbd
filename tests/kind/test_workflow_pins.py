"""Every GitHub Action the workflows use is pinned to a full commit SHA with its release tag beside it.

A tag (``@v4``) can be moved by whoever controls the action's repository, so a workflow that
pushes signed images would run whatever that tag points at on the day. Pinning the commit makes the
run repeatable; the ``# vX.Y.Z`` comment is what Renovate's github-actions manager reads to propose
updates (renovate.json), and what a reviewer reads.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))

_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
_TAG_COMMENT = re.compile(r"^\s+#\s+v\d+\.\d+\.\d+\s*$")


def unpinned(text: str) -> list[str]:
    """The ``uses:`` lines of one workflow that are not ``owner/repo@<40-hex sha> # vX.Y.Z``."""
    bad = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _USES.match(line)
        if match is None:
            continue
        ref, rest = match["ref"], match["rest"]
        if ref.startswith("./"):  # a local action lives in this repository, pinned by the checkout
            continue
        if not _PINNED.match(ref) or not _TAG_COMMENT.match(rest):
            bad.append(f"line {number}: {line.strip()}")
    return bad


def test_the_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "images.yml", "kind.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_tag(workflow: Path) -> None:
    assert unpinned(workflow.read_text(encoding="utf-8")) == []


def test_the_check_refuses_tags_branches_short_shas_and_a_missing_tag_comment() -> None:
    planted = "\n".join(
        [
            "      - uses: actions/checkout@v4",
            "      - uses: actions/checkout@main",
            "      - uses: actions/checkout@11d5960",
            "      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262",
            "        uses: docker/login-action@c94ce9fb468520275223c153574b00df6fe4bcc9 # latest",
        ]
    )
    assert len(unpinned(planted)) == 5


def test_the_check_accepts_a_pinned_action_and_a_local_one() -> None:
    planted = "\n".join(
        [
            "      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0",
            "        uses: ./.github/actions/setup",
        ]
    )
    assert unpinned(planted) == []
