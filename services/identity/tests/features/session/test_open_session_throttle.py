"""Brute-force protection per account: a budget per window with a growing hold, in the database,
the same for unknown e-mails, never permanent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from fleetkit.db import KitPool
from identity.features.session.open_session.command import OpenSession
from identity.features.session.open_session.handler import (
    Attempts,
    BadCredentials,
    Held,
    LoginLimits,
    _admit,
    account_key,
    next_attempts,
    open_session,
)
from identity.passwords import Passwords
from identity.sessions import SessionTokens
from identity.tokens import KeyRing

PASSWORD = "correct horse battery"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_each_attempt_holds_the_account_twice_as_long_as_the_last():
    limits = LoginLimits(budget=10, window_s=900, backoff_s=1.0)
    state: Attempts | Held | None = None
    now = T0
    holds = []
    for _ in range(5):
        state = next_attempts(state if isinstance(state, Attempts) else None, now, limits)
        assert isinstance(state, Attempts)
        holds.append((state.held_until - now).total_seconds())
        now = state.held_until
    assert holds == [1, 2, 4, 8, 16]


def test_an_attempt_during_a_hold_is_held_with_the_time_left():
    limits = LoginLimits(budget=10, window_s=900, backoff_s=4.0)
    first = next_attempts(None, T0, limits)
    assert isinstance(first, Attempts)
    held = next_attempts(first, T0 + timedelta(seconds=1), limits)
    assert held == Held(retry_after_s=3.0)


def test_the_budget_holds_the_account_until_the_window_ends_and_no_longer():
    limits = LoginLimits(budget=3, window_s=600, backoff_s=0)
    state = None
    for i in range(3):
        state = next_attempts(state, T0 + timedelta(seconds=i), limits)
        assert isinstance(state, Attempts)
    assert state.held_until == T0 + timedelta(seconds=600)
    assert isinstance(next_attempts(state, T0 + timedelta(seconds=599), limits), Held)
    fresh = next_attempts(state, T0 + timedelta(seconds=600), limits)
    assert fresh == Attempts(attempts=1, window_started_at=T0 + timedelta(seconds=600), held_until=fresh.held_until)


def test_a_hold_never_outlives_its_window():
    limits = LoginLimits(budget=100, window_s=60, backoff_s=1000)
    state = next_attempts(None, T0, limits)
    assert isinstance(state, Attempts)
    assert state.held_until == T0 + timedelta(seconds=60)


def test_the_key_is_a_digest_of_the_normalised_email():
    key = account_key("alice@example.com")
    assert len(key) == 32
    assert b"alice" not in key
    assert key != account_key("bob@example.com")
    assert account_key("\ud800@example.com")  # a lone surrogate from JSON does not raise


async def _attempt(pool, passwords, keyring, email, password, limits):
    return await open_session(
        OpenSession(email, password), pool=pool, passwords=passwords, keyring=keyring, refresh_ttl_s=3600, limits=limits
    )


@pytest.mark.parametrize("email", ["grace@example.com", "nobody-at-all@example.com"])
async def test_guesses_beyond_the_budget_are_held_for_known_and_unknown_accounts_alike(
    pool: KitPool, passwords: Passwords, keyring: KeyRing, register, email
):
    await register("grace@example.com")
    limits = LoginLimits(budget=3, window_s=600, backoff_s=0)
    outcomes = [await _attempt(pool, passwords, keyring, email, "wrong password!", limits) for _ in range(5)]
    assert outcomes[:3] == [BadCredentials()] * 3
    assert all(isinstance(o, Held) and 500 < o.retry_after_s <= 600 for o in outcomes[3:]), outcomes
    if email.startswith("grace"):
        # held means held: even the right password waits for the window
        assert isinstance(await _attempt(pool, passwords, keyring, email, PASSWORD, limits), Held)
    stored = await pool.fetch("SELECT account_key, attempts FROM login_throttle")
    assert [(bytes(r["account_key"]), r["attempts"]) for r in stored] == [(account_key(email), 3)]


async def test_after_the_window_the_owner_logs_in_from_a_fresh_attempt(pool, passwords, keyring, register):
    await register("heidi@example.com")
    limits = LoginLimits(budget=2, window_s=600, backoff_s=0)
    for _ in range(3):
        await _attempt(pool, passwords, keyring, "heidi@example.com", "attacker guess!", limits)
    assert isinstance(await _attempt(pool, passwords, keyring, "heidi@example.com", PASSWORD, limits), Held)
    # the window passes (moved into the past rather than slept through)
    await pool.execute(
        "UPDATE login_throttle SET window_started_at = window_started_at - interval '601 seconds',"
        " held_until = held_until - interval '601 seconds'"
    )
    assert isinstance(await _attempt(pool, passwords, keyring, "heidi@example.com", PASSWORD, limits), SessionTokens)
    assert await pool.fetchval("SELECT count(*) FROM login_throttle") == 0, "a success clears the count"


async def test_a_success_starts_the_count_over(pool, passwords, keyring, register):
    await register("ivan@example.com")
    limits = LoginLimits(budget=3, window_s=600, backoff_s=0)
    for _ in range(2):
        assert (
            await _attempt(pool, passwords, keyring, "ivan@example.com", "typo password!", limits) == BadCredentials()
        )
    assert isinstance(await _attempt(pool, passwords, keyring, "ivan@example.com", PASSWORD, limits), SessionTokens)
    again = [await _attempt(pool, passwords, keyring, "ivan@example.com", "typo password!", limits) for _ in range(3)]
    assert again == [BadCredentials()] * 3


async def test_concurrent_guesses_cannot_slip_past_the_count(pool, passwords, keyring, register):
    """Twenty guesses at once (as from many replicas): only the budget's worth is checked."""
    await register("judy@example.com")
    limits = LoginLimits(budget=3, window_s=600, backoff_s=0)
    outcomes = await asyncio.gather(
        *(_attempt(pool, passwords, keyring, "judy@example.com", f"guess {i} wrong!", limits) for i in range(20))
    )
    checked = [o for o in outcomes if isinstance(o, BadCredentials)]
    assert 1 <= len(checked) <= 3
    assert all(isinstance(o, (BadCredentials, Held)) for o in outcomes)
    assert await pool.fetchval("SELECT attempts FROM login_throttle") == len(checked)


async def test_concurrent_logins_within_the_budget_are_all_admitted(pool, keyring, register):
    """Ten logins of one account at once (two devices, a retry, many replicas) inside a generous
    budget with no hold: every one is checked and logged in, none refused for arriving together.
    (Hashing gets room for all ten: its own bound is not what is tested here.)"""
    await register("kim@example.com")
    limits = LoginLimits(budget=100, window_s=600, backoff_s=0)
    roomy = Passwords(concurrency=4, queue_max=16, wait_s=60)
    outcomes = await asyncio.gather(
        *(_attempt(pool, roomy, keyring, "kim@example.com", PASSWORD, limits) for _ in range(10))
    )
    assert [type(o).__name__ for o in outcomes] == ["SessionTokens"] * 10


async def test_stale_rows_are_swept_when_new_keys_come(pool, passwords, keyring):
    limits = LoginLimits(budget=3, window_s=600, backoff_s=0)
    await _attempt(pool, passwords, keyring, "old@example.com", "x wrong password", limits)
    await pool.execute(
        "UPDATE login_throttle"
        " SET window_started_at = now() - interval '1 hour', held_until = now() - interval '1 hour'"
    )
    await _attempt(pool, passwords, keyring, "new@example.com", "x wrong password", limits)
    keys = [bytes(k) for (k,) in await pool.fetch("SELECT account_key FROM login_throttle")]
    assert keys == [account_key("new@example.com")]


async def test_post_sessions_answers_429_with_retry_after_the_same_for_unknown_accounts(client, monkeypatch):
    await client.post("/v1/accounts", json={"email": "ken@example.com", "password": PASSWORD})
    answers = {}
    for email in ("ken@example.com", "nobody-ken@example.com"):
        for _ in range(10):
            answer = await client.post("/v1/sessions", json={"email": email, "password": "not the password!"})
            if answer.status_code != 401:
                break
        answers[email] = answer
    known, unknown = answers.values()
    assert known.status_code == unknown.status_code == 429
    assert known.headers["content-type"] == "application/problem+json"
    assert known.content == unknown.content
    assert 1 <= int(known.headers["retry-after"]) <= 900


async def test_an_attempt_whose_row_is_deleted_while_it_waits_for_the_lock_counts_on_a_fresh_row(
    pool: KitPool, database_url: str
):
    """A successful login (or another key's sweep) deletes the row while this attempt waits for its
    lock: the attempt starts a fresh count instead of failing (it answered 500 under load, in the
    shutdown test's 24 concurrent logins of one account)."""
    limits = LoginLimits(budget=10, window_s=900, backoff_s=0)
    key = account_key("lena@example.com")
    assert await _admit(pool, key, limits) is None  # the row exists, one attempt counted
    holder = await asyncpg.connect(database_url)
    try:
        locked = holder.transaction()
        await locked.start()
        await holder.fetchrow("SELECT 1 FROM login_throttle WHERE account_key = $1 FOR UPDATE", key)
        waiting = asyncio.create_task(_admit(pool, key, limits))
        await asyncio.sleep(0.3)  # the attempt is now waiting for the row's lock
        assert not waiting.done()
        await holder.execute("DELETE FROM login_throttle WHERE account_key = $1", key)
        await locked.commit()
        assert await asyncio.wait_for(waiting, timeout=10) is None
    finally:
        await holder.close()
    assert await pool.fetchval("SELECT attempts FROM login_throttle WHERE account_key = $1", key) == 1
