"""Runs last (file order): no password, token or full e-mail in any log line of this run."""

from __future__ import annotations

from tests.reliability import support
from tests.reliability.support import TALLY


def test_no_secret_in_any_log_line():
    text = support.all_logs()
    TALLY.put("log_lines_scanned", text.count("\n"))
    TALLY.put("secrets_checked", len(support.SECRETS))
    assert support.SECRETS, "the suite handled no secrets: nothing was checked"
    found = support.leaked(text)
    assert not found, f"secrets in the logs: {found}"
