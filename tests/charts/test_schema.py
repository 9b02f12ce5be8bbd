"""The values schemas are strict throughout, so a typo fails at lint time."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .conftest import GENERIC, UMBRELLA, RenderError, render

# Maps whose keys are free-form by design (labels, annotations, service-specific variables).
FREE_FORM = {"additionalProperties"}


def objects(node: Any, path: str = "$"):
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            yield path, node
        for key, value in node.items():
            yield from objects(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from objects(value, f"{path}[{i}]")


@pytest.mark.parametrize("chart", [GENERIC, UMBRELLA], ids=["fleet-service", "fleet"])
def test_every_object_with_properties_forbids_unknown_keys(chart):
    schema = json.loads((chart / "values.schema.json").read_text())
    for path, node in objects(schema):
        assert node.get("additionalProperties") is False, path


@pytest.mark.parametrize(
    "typo",
    ["replica=3", "settings.dbPoolMaxSzie=5", "granian.worker=2", "probes.readiness.period=3"],
)
def test_a_typo_in_the_generic_values_fails(typo):
    lint = str(GENERIC / "ci" / "identity-values.yaml")
    with pytest.raises(RenderError, match=r"additional properties|not allowed"):
        render(GENERIC, (lint,), (typo,))


def test_a_typo_under_a_service_of_the_umbrella_fails():
    with pytest.raises(RenderError, match=r"additional properties|not allowed"):
        render(UMBRELLA, ("values.yaml",), ("avatars.setings.logLevel=debug",))


def test_values_files_start_with_the_schema_modeline():
    for path in [GENERIC / "values.yaml", *UMBRELLA.glob("values*.yaml")]:
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=values.schema.json", path


def undocumented_keys(text: str) -> list[str]:
    """Value keys (not groups of keys) with no comment directly above them or above a parent."""
    lines = text.splitlines()
    keys = []  # (line number, indent, key, documented)
    previous = ""
    for number, line in enumerate(lines):
        match = re.match(r"^(\s*)([A-Za-z_][\w.-]*):", line)
        if match:
            keys.append((number, len(match.group(1)), match.group(2), previous.startswith("#")))
        if line.strip():
            previous = line.strip()
    missing, stack = [], []
    for i, (_, indent, key, documented) in enumerate(keys):
        while stack and stack[-1][0] >= indent:
            stack.pop()
        is_group = i + 1 < len(keys) and keys[i + 1][1] > indent and _only_keys_between(lines, keys[i], keys[i + 1])
        if not is_group and not documented and not any(doc for _, _, doc in stack):
            missing.append(".".join([k for _, k, _ in stack] + [key]))
        stack.append((indent, key, documented))
    return missing


def _only_keys_between(lines: list[str], group: tuple, child: tuple) -> bool:
    """The group's line ends at the colon and only blank or comment lines lead to its child."""
    if lines[group[0]].split(":", 1)[1].split("#", 1)[0].strip():
        return False
    between = lines[group[0] + 1 : child[0]]
    return all(not line.strip() or line.strip().startswith("#") for line in between)


@pytest.mark.parametrize(
    "path", [GENERIC / "values.yaml", *sorted(UMBRELLA.glob("values*.yaml"))], ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_every_value_is_commented(path):
    assert undocumented_keys(path.read_text()) == []


def test_the_comment_check_catches_an_undocumented_value():
    text = "group:\n  # -- Documented.\n  a: 1\n  b: 2\nlist:\n  - x\n# -- Documented group.\nc:\n  d: 3\n"
    assert undocumented_keys(text) == ["group.b", "list"]
