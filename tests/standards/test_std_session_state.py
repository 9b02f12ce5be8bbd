"""Pooled connections keep their session between requests (the kit skips asyncpg's reset query,
one round trip per request), so no pooled SQL may leave session state behind: no ``SET`` outside
``SET LOCAL``, no ``LISTEN``, no session-level advisory locks, no ``WITH HOLD`` cursors.
The migrations runner takes its advisory lock on its own connection, outside the pool.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fleet_standards.core import parse, python_files, service_srcs

SESSION_STATE = re.compile(
    r"(?is)(^|;)\s*SET\s+(?!LOCAL\b)(SESSION\s+)?\w+|\bLISTEN\b|\bpg_(try_)?advisory_lock(_shared)?\s*\(|\bWITH\s+HOLD\b"
)


def check_no_session_state(paths: list[Path]) -> list[str]:
    found = []
    for path in python_files(paths):
        if path.name != "queries.py":
            continue
        for node in ast.walk(parse(path).tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SESSION_STATE.search(node.value):
                found.append(f"{path}:{node.lineno}: leaves session state on a pooled connection")
    return found


def test_pooled_sql_leaves_no_session_state():
    assert check_no_session_state(service_srcs()) == []


def test_the_check_catches_planted_session_state(tmp_path: Path):
    slice_dir = tmp_path / "svc" / "features" / "a" / "b"
    slice_dir.mkdir(parents=True)
    (slice_dir / "queries.py").write_text(
        "SET_TZ = \"SET TimeZone = 'UTC'\"\n"
        'WATCH = "LISTEN avatars"\n'
        'LOCK = "SELECT pg_advisory_lock($1)"\n'
        'FINE_LOCAL = "SET LOCAL statement_timeout = 100"\n'
        'FINE_UPDATE = "UPDATE t SET a = 1 WHERE id = $1"\n'
        'FINE_XACT_LOCK = "SELECT pg_advisory_xact_lock($1)"\n'
    )
    found = check_no_session_state([tmp_path])
    assert len(found) == 3, found
    assert all(":1:" in f or ":2:" in f or ":3:" in f for f in found), found
