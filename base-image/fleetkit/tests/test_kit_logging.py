"""Logging: secrets and PII never reach a rendered line, whichever way they are logged.

The lines are produced by a child process that configures the kit's logging exactly as a service
does and writes to its real stdout, so nothing here depends on pytest's capture or on structlog
state left by other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
SECRETS = {
    "password": "hunter2-Password!",
    "refresh": "rEfReSh-0paque-t0ken-value",
    "bearer": "opaque-bearer-credential-42",
    "jwt": JWT,
    "dsn_password": "dsn-pa55word",
    "email_local": "alice.liddell",
}

PROGRAM = textwrap.dedent(
    f"""
    import dataclasses
    import logging
    import msgspec
    from fleetkit.logging import configure_logging, get_logger

    class Attempt(msgspec.Struct):
        email: str
        password: str

    @dataclasses.dataclass
    class Form:
        login: str
        secret_answer: str

    class Command:
        __slots__ = ("address", "passphrase")
        def __init__(self) -> None:
            self.address = "alice.liddell@example.com"
            self.passphrase = {SECRETS["password"]!r}

    class Opaque:
        def __init__(self) -> None:
            self.pin = "1"
        def __repr__(self) -> str:
            return "Opaque(password={SECRETS["password"]!r})"
        __str__ = __repr__

    configure_logging(service="kit-test", level="info", fmt=FORMAT)
    log = get_logger("test")
    log.info("login", password={SECRETS["password"]!r}, email="alice.liddell@example.com")
    log.info("login", Password={SECRETS["password"]!r})
    log.info("nested", body={{"user": {{"password": {SECRETS["password"]!r}}}}})
    log.info("rotated", refresh_token={SECRETS["refresh"]!r}, token={SECRETS["refresh"]!r})
    log.info("call", headers={{"Authorization": "Bearer {SECRETS["bearer"]}"}})
    log.info("call", authorization="Bearer {SECRETS["bearer"]}")
    log.info("free text with Bearer {SECRETS["bearer"]} inside")
    log.info("free text with a jwt {JWT} inside")
    log.info("listed", tokens=["{JWT}"], users=["alice.liddell@example.com"])
    log.info("who", user="alice.liddell@example.com")
    log.info("login_failed", attempt=Attempt(email="alice.liddell@example.com", password={SECRETS["password"]!r}))
    log.info("form", form=Form(login="alice.liddell@example.com", secret_answer={SECRETS["password"]!r}))
    log.info("command", cmd=Command(), many=(Command(), [Command()]))
    log.info("opaque", thing=Opaque())
    log.info("db", url="postgresql://app:{SECRETS["dsn_password"]}@db:5432/app")
    log.info("db", dsn="postgresql://app:{SECRETS["dsn_password"]}@db:5432/app")
    log.info("connecting to postgres://app:{SECRETS["dsn_password"]}@db/app")
    try:
        raise ValueError("bad login for alice.liddell@example.com with {JWT}")
    except ValueError:
        log.exception("failed")
    logging.getLogger("thirdparty").warning(
        "connect postgresql://app:{SECRETS["dsn_password"]}@db/app for alice.liddell@example.com"
    )
    """
)


def _run(fmt: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"FORMAT = {fmt!r}\n" + PROGRAM],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.fixture(scope="module")
def json_run() -> subprocess.CompletedProcess[str]:
    return _run("json")


@pytest.fixture(scope="module")
def console_run() -> subprocess.CompletedProcess[str]:
    return _run("console")


def test_every_structlog_line_is_one_json_object_with_an_event_and_the_service(json_run):
    lines = json_run.stdout.splitlines()
    assert len(lines) >= 14
    for line in lines:
        record = json.loads(line)
        assert record["event"]
        assert record["service"] == "kit-test"
        assert record["ts"].endswith("Z")


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_no_secret_appears_in_the_json_lines(json_run, secret):
    assert SECRETS[secret] not in json_run.stdout


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_no_secret_appears_in_the_console_lines(console_run, secret):
    assert SECRETS[secret] not in console_run.stdout


def test_an_email_keeps_only_its_domain(json_run):
    assert "***@example.com" in json_run.stdout


def test_the_logged_exception_is_rendered_redacted(json_run):
    failed = [json.loads(x) for x in json_run.stdout.splitlines() if '"failed"' in x]
    assert len(failed) == 1
    assert "ValueError" in failed[0]["exception"]


@pytest.mark.parametrize("secret", ["dsn_password", "email_local"])
def test_stdlib_logging_from_libraries_is_redacted_too(json_run, secret):
    output = json_run.stdout + json_run.stderr
    assert "connect postgresql" in output.replace("[REDACTED]", "")
    assert SECRETS[secret] not in output


def _event(run: subprocess.CompletedProcess[str], name: str) -> dict[str, object]:
    return next(r for r in map(json.loads, run.stdout.splitlines()) if r["event"] == name)


def test_a_struct_passed_whole_is_logged_by_its_fields_with_secrets_masked(json_run):
    assert _event(json_run, "login_failed")["attempt"] == {
        "type": "Attempt",
        "email": "***@example.com",
        "password": "[REDACTED]",
    }


def test_dataclasses_and_slotted_commands_are_walked_like_dicts(json_run):
    assert _event(json_run, "form")["form"] == {
        "type": "Form",
        "login": "***@example.com",
        "secret_answer": "[REDACTED]",
    }
    shown = {"type": "Command", "address": "***@example.com", "passphrase": "[REDACTED]"}
    record = _event(json_run, "command")
    assert record["cmd"] == shown
    assert record["many"] == [shown, [shown]]


def test_an_object_is_never_rendered_through_its_repr(json_run):
    assert _event(json_run, "opaque")["thing"] == {"type": "Opaque", "pin": "[REDACTED]"}
