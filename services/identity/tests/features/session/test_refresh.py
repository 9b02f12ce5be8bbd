from __future__ import annotations

import asyncio

from identity.features.session.refresh.command import RefreshSession
from identity.features.session.refresh.handler import (
    RefreshRejected,
    SessionRefreshed,
    refresh_session,
)


async def _refresh(pool, keyring, token: str):
    return await refresh_session(RefreshSession(token), pool=pool, keyring=keyring, refresh_ttl_s=3600)


async def test_a_refresh_rotates_the_token_and_the_old_one_stops_working(pool, keyring, register, log_in):
    await register("alice@example.com")
    session = await log_in("alice@example.com")
    first = await _refresh(pool, keyring, session.refresh_token)
    assert isinstance(first, SessionRefreshed)
    assert first.refresh_token != session.refresh_token
    second = await _refresh(pool, keyring, first.refresh_token)
    assert isinstance(second, SessionRefreshed)


async def test_reusing_a_consumed_token_revokes_the_whole_family(pool, keyring, register, log_in):
    await register("bob@example.com")
    session = await log_in("bob@example.com")
    rotated = await _refresh(pool, keyring, session.refresh_token)
    assert isinstance(rotated, SessionRefreshed)
    reuse = await _refresh(pool, keyring, session.refresh_token)
    assert reuse == RefreshRejected(reused=True)
    newest = await _refresh(pool, keyring, rotated.refresh_token)
    assert isinstance(newest, RefreshRejected), "the thief's or the user's newest token is dead"


async def test_reuse_revokes_only_that_family_not_the_accounts_other_sessions(pool, keyring, register, log_in):
    await register("carol@example.com")
    stolen = await log_in("carol@example.com")
    other_device = await log_in("carol@example.com")
    await _refresh(pool, keyring, stolen.refresh_token)
    await _refresh(pool, keyring, stolen.refresh_token)
    assert isinstance(await _refresh(pool, keyring, other_device.refresh_token), SessionRefreshed)


async def test_an_expired_refresh_token_is_rejected(pool, keyring, register, log_in):
    await register("dave@example.com")
    session = await log_in("dave@example.com", refresh_ttl_s=-1)
    assert await _refresh(pool, keyring, session.refresh_token) == RefreshRejected(reused=False)


async def test_an_unknown_refresh_token_is_rejected(pool, keyring):
    outcome = await _refresh(pool, keyring, "x" * 43)
    assert outcome == RefreshRejected(reused=False)


async def test_concurrent_refreshes_of_one_token_let_at_most_one_succeed(pool, keyring, register, log_in):
    await register("erin@example.com")
    session = await log_in("erin@example.com")
    outcomes = await asyncio.gather(*(_refresh(pool, keyring, session.refresh_token) for _ in range(4)))
    winners = [o for o in outcomes if isinstance(o, SessionRefreshed)]
    assert len(winners) <= 1
    issued = await pool.fetchval("SELECT count(*) FROM refresh_tokens")
    assert issued == 1 + len(winners)


async def test_post_refresh_answers_200_then_401_problem_for_the_spent_token(client, register, log_in):
    await register("frank@example.com")
    session = await log_in("frank@example.com")
    ok = await client.post("/v1/sessions/refresh", json={"refresh_token": session.refresh_token})
    assert ok.status_code == 200
    assert set(ok.json()) == {"access_token", "refresh_token", "expires_in", "token_type"}
    spent = await client.post("/v1/sessions/refresh", json={"refresh_token": session.refresh_token})
    assert spent.status_code == 401
    assert spent.headers["content-type"] == "application/problem+json"
    unknown = await client.post("/v1/sessions/refresh", json={"refresh_token": "y" * 43})
    assert unknown.status_code == 401
    assert unknown.content == spent.content
