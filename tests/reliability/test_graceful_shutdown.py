"""SIGTERM with requests in flight: they all complete, readiness fails at once, the process exits
within its budget (SHUTDOWN_TIMEOUT_S, 10 s by default).

"In flight" is made exact: every request is written whole on its own connection before SIGTERM
is sent (logins, which spend tens of milliseconds each in argon2, queue up on 2 cores).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time

import httpx
import pytest

from tests.reliability import support
from tests.reliability.support import TALLY

IN_FLIGHT = 24
BUDGET_S = 10.0 + 3.0  # shutdown_timeout_s plus Granian's own stop


def _send_login(port: int, email: str) -> socket.socket:
    body = json.dumps({"email": email, "password": support.PASSWORD}).encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(
        b"POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    )
    return s


def _read_status(s: socket.socket) -> int:
    chunks = []
    try:
        while chunk := s.recv(65536):
            chunks.append(chunk)
    except (ConnectionResetError, TimeoutError):
        pass
    finally:
        s.close()
    raw = b"".join(chunks)
    if not raw.startswith(b"HTTP/1.1 "):
        return 0
    head, _, body = raw.partition(b"\r\n\r\n")
    with_tokens = json.loads(body) if head.split()[1] == b"200" else {}
    support.remember(with_tokens.get("access_token", ""), with_tokens.get("refresh_token", ""))
    return int(head.split()[1])


def _probe_readyz(url: str) -> str:
    try:
        with httpx.Client(base_url=url, timeout=2) as http:
            return str(http.get("/readyz").status_code)
    except httpx.ConnectError:
        return "refused"
    except httpx.HTTPError as exc:
        return type(exc).__name__


def _sigterm(fleet, service: str) -> tuple[float, object]:
    process = fleet.processes[service]
    sent = time.monotonic()
    os.killpg(process.pid, signal.SIGTERM)
    return sent, process


def test_sigterm_lets_in_flight_requests_finish_and_readiness_fail_at_once(shutdown_fleet):
    fleet = shutdown_fleet
    url = fleet.url("identity")
    user = support.new_user(url)
    try:
        with httpx.Client(base_url=url, timeout=10) as keep:
            assert keep.get("/readyz").status_code == 200
            sockets = [_send_login(fleet.ports["identity"], user.email) for _ in range(IN_FLIGHT)]
            time.sleep(0.1)
            sent, process = _sigterm(fleet, "identity")
            time.sleep(0.05)
            fresh = _probe_readyz(url)
            try:
                kept = str(keep.get("/readyz").status_code)
            except httpx.HTTPError as exc:
                kept = type(exc).__name__
            probed_at = time.monotonic() - sent
        statuses = [_read_status(s) for s in sockets]
        code = process.wait(timeout=30)
        exited_after = time.monotonic() - sent
        fleet.processes.pop("identity")
        TALLY.put(
            "graceful_shutdown",
            {
                "in_flight": IN_FLIGHT,
                "completed_2xx": sum(200 <= s < 300 for s in statuses),
                "readyz_new_connection": fresh,
                "readyz_kept_alive_connection": kept,
                "readyz_probed_at_s": round(probed_at, 3),
                "exit_code": code,
                "exited_after_s": round(exited_after, 2),
            },
        )
        assert statuses == [200] * IN_FLIGHT, statuses
        assert fresh in {"503", "refused"}, fresh
        assert kept != "200", "readiness still 200 on a kept-alive connection after SIGTERM"
        assert exited_after < BUDGET_S
        assert code == 0
    finally:
        support.restart(fleet, "identity")


@pytest.mark.parametrize("service", [s for s in support.services() if s != "identity"])
def test_other_services_exit_cleanly_within_budget(shutdown_fleet, service):
    fleet = shutdown_fleet
    try:
        sent, process = _sigterm(fleet, service)
        code = process.wait(timeout=30)
        fleet.processes.pop(service)
        took = time.monotonic() - sent
        TALLY.data.setdefault("graceful_shutdown", {})[f"{service}_exited_after_s"] = round(took, 2)
        assert code == 0
        assert took < BUDGET_S
    finally:
        support.restart(fleet, service)
