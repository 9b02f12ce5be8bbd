from __future__ import annotations

import asyncio

import pytest

from identity.features.session.refresh_session.command import RefreshSession
from identity.features.session.refresh_session.handler import RefreshRejected, refresh_session
from identity.sessions import SessionTokens

LEEWAY_S = 5.0


async def _refresh(pool, keyring, token: str, *, leeway_s: float = 0.0):
    return await refresh_session(
        RefreshSession(token), pool=pool, keyring=keyring, refresh_ttl_s=3600, reuse_leeway_s=leeway_s
    )


async def _age_consumption(pool, seconds: float) -> None:
    """Move every consumption ``seconds`` into the past, as if that much time had gone by."""
    await pool.execute(
        "UPDATE refresh_tokens SET consumed_at = consumed_at - make_interval(secs => $1) WHERE consumed_at IS NOT NULL",
        seconds,
    )


async def test_a_refresh_rotates_the_token_and_the_old_one_stops_working(pool, keyring, register, log_in):
    await register("alice@example.com")
    session = await log_in("alice@example.com")
    first = await _refresh(pool, keyring, session.refresh_token)
    assert isinstance(first, SessionTokens)
    assert first.refresh_token != session.refresh_token
    second = await _refresh(pool, keyring, first.refresh_token)
    assert isinstance(second, SessionTokens)


async def test_reusing_a_consumed_token_revokes_the_whole_family(pool, keyring, register, log_in):
    await register("bob@example.com")
    session = await log_in("bob@example.com")
    rotated = await _refresh(pool, keyring, session.refresh_token)
    assert isinstance(rotated, SessionTokens)
    reuse = await _refresh(pool, keyring, session.refresh_token)
    assert reuse == RefreshRejected()
    newest = await _refresh(pool, keyring, rotated.refresh_token)
    assert isinstance(newest, RefreshRejected), "the thief's or the user's newest token is dead"


async def test_reuse_revokes_only_that_family_not_the_accounts_other_sessions(pool, keyring, register, log_in):
    await register("carol@example.com")
    stolen = await log_in("carol@example.com")
    other_device = await log_in("carol@example.com")
    await _refresh(pool, keyring, stolen.refresh_token)
    await _refresh(pool, keyring, stolen.refresh_token)
    assert isinstance(await _refresh(pool, keyring, other_device.refresh_token), SessionTokens)


async def test_an_expired_refresh_token_is_rejected(pool, keyring, register, log_in):
    await register("dave@example.com")
    session = await log_in("dave@example.com", refresh_ttl_s=-1)
    assert await _refresh(pool, keyring, session.refresh_token) == RefreshRejected()


async def test_an_unknown_refresh_token_is_rejected(pool, keyring):
    outcome = await _refresh(pool, keyring, "x" * 43)
    assert outcome == RefreshRejected()


async def test_without_leeway_concurrent_refreshes_of_one_token_let_one_succeed_and_revoke(
    pool, keyring, register, log_in
):
    await register("erin@example.com")
    session = await log_in("erin@example.com")
    outcomes = await asyncio.gather(*(_refresh(pool, keyring, session.refresh_token) for _ in range(4)))
    winners = [o for o in outcomes if isinstance(o, SessionTokens)]
    assert len(winners) == 1
    live = await pool.fetchval("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL")
    assert live == 0, "the first reuse revokes the family, the winner's new token included"
    assert all(isinstance(o, RefreshRejected) for o in outcomes if o is not winners[0])
    assert isinstance(await _refresh(pool, keyring, winners[0].refresh_token), RefreshRejected)


@pytest.mark.parametrize("callers", [2, 4])
async def test_concurrent_refreshes_within_the_leeway_each_get_a_working_pair(pool, keyring, register, log_in, callers):
    """Two tabs (or more) refreshing at once with one token: nobody is logged out."""
    await register("gina@example.com")
    session = await log_in("gina@example.com")
    outcomes = await asyncio.gather(
        *(_refresh(pool, keyring, session.refresh_token, leeway_s=LEEWAY_S) for _ in range(callers))
    )
    assert all(isinstance(o, SessionTokens) for o in outcomes), outcomes
    pairs = {o.refresh_token for o in outcomes}
    assert len(pairs) == callers, "each caller has a refresh token of its own"
    assert await pool.fetchval("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NOT NULL") == 0
    for outcome in outcomes:
        again = await _refresh(pool, keyring, outcome.refresh_token, leeway_s=LEEWAY_S)
        assert isinstance(again, SessionTokens), "every caller's refresh token works"


async def test_reuse_after_the_leeway_still_revokes_the_family_siblings_included(pool, keyring, register, log_in):
    await register("hank@example.com")
    session = await log_in("hank@example.com")
    twins = await asyncio.gather(*(_refresh(pool, keyring, session.refresh_token, leeway_s=LEEWAY_S) for _ in range(2)))
    assert all(isinstance(t, SessionTokens) for t in twins)
    await _age_consumption(pool, LEEWAY_S + 1)
    reuse = await _refresh(pool, keyring, session.refresh_token, leeway_s=LEEWAY_S)
    assert reuse == RefreshRejected()
    for twin in twins:
        assert await _refresh(pool, keyring, twin.refresh_token, leeway_s=LEEWAY_S) == RefreshRejected()


async def test_a_revoked_family_gives_no_pair_even_within_the_leeway(pool, keyring, register, log_in):
    await register("ivy@example.com")
    session = await log_in("ivy@example.com")
    rotated = await _refresh(pool, keyring, session.refresh_token, leeway_s=LEEWAY_S)
    assert isinstance(rotated, SessionTokens)
    await pool.execute("UPDATE refresh_tokens SET revoked_at = now()")
    assert await _refresh(pool, keyring, session.refresh_token, leeway_s=LEEWAY_S) == RefreshRejected()


async def test_a_reuse_racing_a_twin_never_leaves_a_live_token_in_the_revoked_family(pool, keyring, register, log_in):
    """A stale reuse (revoke) and concurrent twins of the fresh token take turns on the family lock."""
    await register("jack@example.com")
    session = await log_in("jack@example.com")
    rotated = await _refresh(pool, keyring, session.refresh_token, leeway_s=LEEWAY_S)
    await _age_consumption(pool, LEEWAY_S + 1)
    await asyncio.gather(
        _refresh(pool, keyring, session.refresh_token, leeway_s=LEEWAY_S),  # the stale reuse
        *(_refresh(pool, keyring, rotated.refresh_token, leeway_s=LEEWAY_S) for _ in range(3)),
    )
    live = await pool.fetchval("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL")
    assert live == 0


async def test_post_refresh_answers_200_then_401_problem_for_the_spent_token(client, pool, register, log_in):
    await register("frank@example.com")
    session = await log_in("frank@example.com")
    ok = await client.post("/v1/sessions/refresh", json={"refresh_token": session.refresh_token})
    assert ok.status_code == 200
    assert set(ok.json()) == {"access_token", "refresh_token", "expires_in", "token_type"}
    await _age_consumption(pool, 60)  # past the leeway
    spent = await client.post("/v1/sessions/refresh", json={"refresh_token": session.refresh_token})
    assert spent.status_code == 401
    assert spent.headers["content-type"] == "application/problem+json"
    unknown = await client.post("/v1/sessions/refresh", json={"refresh_token": "y" * 43})
    assert unknown.status_code == 401
    assert unknown.content == spent.content


async def test_post_refresh_twice_at_once_gives_two_working_sessions(client, register, log_in):
    """Over HTTP: two tabs refresh with one token; both pairs reach /v1/me and refresh again.

    Litestar's test client serves one request at a time, so here the second arrives just after the
    first (inside the leeway); the handler tests above run them truly at once on the database.
    """
    await register("kate@example.com")
    session = await log_in("kate@example.com")
    body = {"refresh_token": session.refresh_token}
    answers = await asyncio.gather(*(client.post("/v1/sessions/refresh", json=body) for _ in range(2)))
    assert [a.status_code for a in answers] == [200, 200]
    for answer in answers:
        pair = answer.json()
        me = await client.get("/v1/me", headers={"authorization": f"Bearer {pair['access_token']}"})
        assert me.status_code == 200
        again = await client.post("/v1/sessions/refresh", json={"refresh_token": pair["refresh_token"]})
        assert again.status_code == 200
