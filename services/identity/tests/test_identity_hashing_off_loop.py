"""Password hashing never runs on the event loop: argon2id takes tens of milliseconds and 64 MiB,
and every request in the worker would wait behind it.

Register and log in go through the real app (the async test client runs it on this test's loop);
argon2's public ``PasswordHasher.hash``/``verify`` are wrapped to note, for each call, whether its
thread is running an event loop (a worker thread of ``asyncio.to_thread`` is not).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient


def _on_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _recording(original: Callable[..., Any], calls: list[bool]) -> Callable[..., Any]:
    def wrapper(self: PasswordHasher, *args: Any, **kwargs: Any) -> Any:
        calls.append(_on_a_loop())
        return original(self, *args, **kwargs)

    return wrapper


async def test_register_and_login_hash_off_the_event_loop(
    client: AsyncTestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hashed: list[bool] = []
    verified: list[bool] = []
    monkeypatch.setattr(PasswordHasher, "hash", _recording(PasswordHasher.hash, hashed))
    monkeypatch.setattr(PasswordHasher, "verify", _recording(PasswordHasher.verify, verified))
    body = {"email": "offloop@example.com", "password": "correct horse battery"}

    registered = await client.post("/v1/accounts", json=body)
    logged_in = await client.post("/v1/sessions", json=body)
    unknown = await client.post("/v1/sessions", json={**body, "email": "nobody@example.com"})

    assert (registered.status_code, logged_in.status_code, unknown.status_code) == (201, 200, 401)
    assert hashed, "registration never called argon2's PasswordHasher.hash"
    assert len(verified) >= 2, "login (known and unknown account) must verify a hash each time"
    on_loop = [call for call in hashed + verified if call]
    assert not on_loop, f"{len(on_loop)} of {len(hashed) + len(verified)} argon2 calls ran on the event loop"
