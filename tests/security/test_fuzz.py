"""Schemathesis against each service's OpenAPI document, authenticated, every check on.

schemathesis is not a workspace dependency (the lock stays small and free of pydantic): it runs as
an isolated tool, ``uvx --from schemathesis==<pin> st run``, driven from here, and its JUnit report
is read back. Bounded: ``FUZZ_MAX_EXAMPLES`` per operation (default 50) and a hard time limit.
The seed is fixed for reproducible CI (``FUZZ_SEED`` overrides it; use ``random`` to explore).
"""

from __future__ import annotations

import os
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from tests.reliability import support
from tests.reliability.support import TALLY

SCHEMATHESIS = "schemathesis==4.32.5"
HERE = Path(__file__).resolve().parent
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "50"))
SEED = os.environ.get("FUZZ_SEED", "20261126")
HARD_LIMIT_S = float(os.environ.get("FUZZ_HARD_LIMIT_S", "420"))


def _run(url: str, token: str, report: Path) -> tuple[int, str]:
    command = [
        "uvx",
        "--python",
        "3.13",
        "--from",
        SCHEMATHESIS,
        "st",
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{url}/docs/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--continue-on-failure",
        "--exclude-path-regex",
        "^/docs",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "2",
        "--request-timeout",
        "15",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        "--output-sanitize",
        "true",
        "--no-color",
    ]
    if SEED != "random":
        command += ["--seed", SEED]
    env = {
        **os.environ,
        "UV_PYTHON_DOWNLOADS": "never",
        "SCHEMATHESIS_HOOKS": "st_hooks",
        "PYTHONPATH": str(HERE),
    }
    done = subprocess.run(
        command, cwd=support.ROOT, env=env, capture_output=True, text=True, timeout=HARD_LIMIT_S, check=False
    )
    return done.returncode, done.stdout + done.stderr


def _failures(report: Path) -> tuple[int, list[str]]:
    root = ET.parse(report).getroot()
    cases = list(root.iter("testcase"))
    problems = []
    for case in cases:
        for child in case:
            if child.tag in {"failure", "error"}:
                text = (child.get("message") or "") + "\n" + (child.text or "")
                problems.append(f"{case.get('name')}: {text.strip()[:1500]}")
    return len(cases), problems


@pytest.mark.parametrize("service", support.services())
def test_fuzzing_finds_no_server_error_no_schema_violation_and_only_problem_json_errors(fleet, service, tmp_path):
    user = support.new_user(fleet.url("identity"))
    report = tmp_path / f"{service}.xml"
    started = time.monotonic()
    code, output = _run(fleet.url(service), user.access_token, report)
    elapsed = time.monotonic() - started
    tally = TALLY.data.setdefault("fuzz", {})
    cases = output.split("Test cases:")[-1].strip().splitlines()[0] if "Test cases:" in output else "?"
    operations, failures = _failures(report) if report.exists() else (0, ["no JUnit report:\n" + output[-3000:]])
    tally[service] = {
        "exit": code,
        "seconds": round(elapsed, 1),
        "test_cases": cases,
        "operations": operations,
        "failures": len(failures),
        "seed": SEED,
        "max_examples": MAX_EXAMPLES,
    }
    TALLY.add("requests_tried_fuzz", _generated(cases))
    support.REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (support.REPORT_DIR / f"fuzz-{service}.txt").write_text(output)
    with httpx.Client(base_url=fleet.url(service), timeout=10) as http:
        assert http.get("/livez").status_code == 200
    assert not failures, f"{service}: schemathesis exit {code}\n" + "\n\n".join(failures)[:12000]
    assert code == 0, output[-3000:]


def _generated(line: str) -> int:
    head = line.split(" generated", 1)[0].strip()
    return int(head) if head.isdigit() else 0


def test_docs_are_not_part_of_the_api_and_their_errors_are_problem_json(fleet):
    for service in support.services():
        with httpx.Client(base_url=fleet.url(service), timeout=10) as http:
            spec = http.get("/docs/openapi.json").json()
            missing = http.get("/docs/no-such-page")
        documented = [p for p in spec["paths"] if p.startswith("/docs")]
        assert documented == [], f"{service} documents its docs pages as API operations: {documented}"
        support.assert_problem(missing, 404)
