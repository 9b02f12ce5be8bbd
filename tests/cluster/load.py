"""A small closed-loop load generator for the cluster tier: every request's outcome is recorded.

Each worker is one user: its own thread, its own source address (127.0.0.2, 127.0.0.3, ...) and
its own keep-alive connections to the proxy. It runs its actions in turn, with a short pause
between requests, until stopped. Nothing is retried: a 503 or a reset connection is recorded as
what it is.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import httpx

#: An action: (name, service, call). ``call(client, n)`` makes one request through a client whose
#: base URL is the service's proxy address and returns the response.
Call = Callable[[httpx.Client, int], httpx.Response]


@dataclass(frozen=True)
class Action:
    name: str
    service: str
    call: Call


@dataclass(frozen=True)
class Outcome:
    action: str
    source: str
    started: float
    elapsed: float
    status: int  # 0: no HTTP answer (see ``error``)
    error: str = ""


@dataclass
class Record:
    """Every outcome, appended by the workers (list.append is atomic)."""

    outcomes: list[Outcome] = field(default_factory=list)
    started: float = 0.0
    stopped: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.outcomes)

    def non_2xx(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status and not 200 <= o.status < 300]

    def connection_errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == 0]

    def summary(self) -> dict[str, object]:
        by_action = Counter(o.action for o in self.outcomes)
        return {
            "requests": self.requests,
            "non_2xx": len(self.non_2xx()),
            "connection_errors": len(self.connection_errors()),
            "duration_s": round(self.stopped - self.started, 1),
            "by_action": dict(sorted(by_action.items())),
            "statuses": dict(sorted(Counter(o.status for o in self.outcomes).items())),
            "errors": dict(Counter(o.error for o in self.connection_errors())),
        }


def source_address(user: int) -> str:
    """User 0 is 127.0.0.2, user 1 127.0.0.3, ...: distinct client addresses on loopback."""
    if not 0 <= user < 250:
        msg = f"user index {user} is outside 0..249"
        raise ValueError(msg)
    return f"127.0.0.{user + 2}"


class LoadGenerator:
    """``users`` threads running ``actions`` in turn against ``urls`` until :meth:`stop`."""

    def __init__(
        self,
        urls: Mapping[str, str],
        actions: Sequence[Action],
        *,
        users: int = 4,
        pause_s: float = 0.01,
        timeout_s: float = 10.0,
        headers: Callable[[int], Mapping[str, str]] | None = None,
    ) -> None:
        self.urls = urls
        self.actions = actions
        self.users = users
        self.pause_s = pause_s
        self.timeout_s = timeout_s
        self.headers = headers or (lambda _user: {})
        self.record = Record()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _clients(self, user: int) -> dict[str, httpx.Client]:
        address = source_address(user)
        return {
            service: httpx.Client(
                base_url=url,
                timeout=self.timeout_s,
                headers=dict(self.headers(user)),
                transport=httpx.HTTPTransport(local_address=address),
            )
            for service, url in self.urls.items()
        }

    def _run(self, user: int) -> None:
        address = source_address(user)
        clients = self._clients(user)
        n = 0
        try:
            while not self._stop.is_set():
                action = self.actions[(n + user) % len(self.actions)]
                started = time.monotonic()
                try:
                    response = action.call(clients[action.service], n)
                except httpx.TransportError as exc:
                    outcome = Outcome(action.name, address, started, time.monotonic() - started, 0, type(exc).__name__)
                else:
                    outcome = Outcome(action.name, address, started, time.monotonic() - started, response.status_code)
                self.record.outcomes.append(outcome)
                n += 1
                self._stop.wait(self.pause_s)
        finally:
            for client in clients.values():
                client.close()

    def start(self) -> None:
        self.record.started = time.monotonic()
        for user in range(self.users):
            thread = threading.Thread(target=self._run, args=(user,), name=f"load-{user}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> Record:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout_s + 5)
        self.record.stopped = time.monotonic()
        return self.record

    def __enter__(self) -> LoadGenerator:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
