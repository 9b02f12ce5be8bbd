"""Register a new service in the workspace root ``pyproject.toml``.

The root names every service in five places (uv sources, ruff's first-party list, the
import-linter roots and three kit contracts) and holds four import contracts per service. All
edits are computed first and checked by re-reading the result with ``tomllib``; nothing is
written unless every one of them landed, so a reshaped pyproject fails loudly, not half-done.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from names import ScaffoldError

__all__ = ["register_service"]

_HEADER = re.compile(r"^\s*\[")


def _append_to_list(lines: list[str], start: int, key: str, value: str, where: str) -> None:
    """Append ``"value"`` to the TOML array ``key = [...]`` found at or after line ``start``."""
    for i in range(start, len(lines)):
        if i > start and _HEADER.match(lines[i]):
            break
        match = re.match(rf"^(\s*{re.escape(key)}\s*=\s*\[)(.*?)(\]\s*(#.*)?)$", lines[i].rstrip("\n"))
        if match:
            inner = match.group(2).rstrip().rstrip(",")
            sep = ", " if inner.strip() else ""
            lines[i] = f'{match.group(1)}{inner}{sep}"{value}"{match.group(3)}\n'
            return
        if re.match(rf"^\s*{re.escape(key)}\s*=\s*\[\s*$", lines[i]):
            for j in range(i + 1, len(lines)):
                if lines[j].strip().startswith("]"):
                    above = lines[j - 1]
                    indent = above[: len(above) - len(above.lstrip())] if j > i + 1 else "    "
                    lines.insert(j, f'{indent}"{value}",\n')
                    return
    msg = f"pyproject.toml: no `{key} = [...]` {where}; add {value!r} there by hand"
    raise ScaffoldError(msg)


def _line_index(lines: list[str], pattern: str, what: str) -> int:
    for i, line in enumerate(lines):
        if re.match(pattern, line):
            return i
    msg = f"pyproject.toml: {what} not found"
    raise ScaffoldError(msg)


def _add_uv_source(lines: list[str], service: str) -> None:
    start = _line_index(lines, r"^\[tool\.uv\.sources\]\s*$", "[tool.uv.sources]")
    last = start
    for i in range(start + 1, len(lines)):
        if _HEADER.match(lines[i]):
            break
        if re.match(r"^[\w-]+\s*=\s*\{\s*workspace\s*=\s*true\s*\}", lines[i]):
            last = i
    lines.insert(last + 1, f"{service} = {{ workspace = true }}\n")


def _check(data: dict[str, Any], service: str) -> list[str]:
    tool = data.get("tool", {})
    linter = tool.get("importlinter", {})
    contracts = {c.get("id"): c for c in linter.get("contracts", [])}
    isort = tool.get("ruff", {}).get("lint", {}).get("isort", {})
    checks = {
        "[tool.uv.sources]": service in tool.get("uv", {}).get("sources", {}),
        "ruff known-first-party": service in isort.get("known-first-party", []),
        "importlinter root_packages": service in linter.get("root_packages", []),
        "kit-no-services": service in contracts.get("kit-no-services", {}).get("forbidden_modules", []),
        "services-no-kit-testing": service in contracts.get("services-no-kit-testing", {}).get("source_modules", []),
        "services-independent": service in contracts.get("services-independent", {}).get("modules", []),
        f"{service}-handlers-no-http": f"{service}-handlers-no-http" in contracts,
        f"{service}-slices-independent": f"{service}-slices-independent" in contracts,
        f"{service}-features-mounted-only": f"{service}-features-mounted-only" in contracts,
        f"{service}-shared-no-http": f"{service}-shared-no-http" in contracts,
    }
    return [name for name, ok in checks.items() if not ok]


def register_service(text: str, service: str, contracts: str) -> str:
    """``text`` (the root pyproject.toml) with ``service`` added everywhere it must be named."""
    if service in tomllib.loads(text).get("tool", {}).get("uv", {}).get("sources", {}):
        msg = f"pyproject.toml already names {service!r}"
        raise ScaffoldError(msg)
    lines = text.splitlines(keepends=True)
    _add_uv_source(lines, service)
    _append_to_list(
        lines,
        _line_index(lines, r"^\[tool\.ruff\.lint\.isort\]", "[tool.ruff.lint.isort]"),
        "known-first-party",
        service,
        "under [tool.ruff.lint.isort]",
    )
    _append_to_list(
        lines,
        _line_index(lines, r"^\[tool\.importlinter\]", "[tool.importlinter]"),
        "root_packages",
        service,
        "under [tool.importlinter]",
    )
    _append_to_list(
        lines,
        _line_index(lines, r'^id\s*=\s*"kit-no-services"', "the kit-no-services contract"),
        "forbidden_modules",
        service,
        "in the kit-no-services contract",
    )
    _append_to_list(
        lines,
        _line_index(lines, r'^id\s*=\s*"services-no-kit-testing"', "the services-no-kit-testing contract"),
        "source_modules",
        service,
        "in the services-no-kit-testing contract",
    )
    _append_to_list(
        lines,
        _line_index(lines, r'^id\s*=\s*"services-independent"', "the services-independent contract"),
        "modules",
        service,
        "in the services-independent contract",
    )
    result = "".join(lines).rstrip("\n") + "\n" + contracts
    missing = _check(tomllib.loads(result), service)
    if missing:
        msg = f"pyproject.toml edit incomplete ({', '.join(missing)}); nothing was written"
        raise ScaffoldError(msg)
    return result
