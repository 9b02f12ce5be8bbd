from __future__ import annotations

from identity.features.session.close_session.command import CloseSession
from identity.features.session.close_session.handler import close_session
from identity.features.session.refresh_session.command import RefreshSession
from identity.features.session.refresh_session.handler import RefreshRejected, refresh_session
from identity.sessions import SessionTokens


async def _refresh(pool, keyring, token: str):
    return await refresh_session(
        RefreshSession(token), pool=pool, keyring=keyring, refresh_ttl_s=3600, reuse_leeway_s=0
    )


async def test_logout_revokes_the_whole_family(pool, keyring, register, log_in):
    account = await register("alice@example.com")
    session = await log_in("alice@example.com")
    rotated = await _refresh(pool, keyring, session.refresh_token)
    assert isinstance(rotated, SessionTokens)
    revoked = await close_session(CloseSession(session.refresh_token, account.id), pool=pool)
    assert revoked == 2
    assert isinstance(await _refresh(pool, keyring, rotated.refresh_token), RefreshRejected)


async def test_logout_is_idempotent(pool, register, log_in):
    account = await register("bob@example.com")
    session = await log_in("bob@example.com")
    assert await close_session(CloseSession(session.refresh_token, account.id), pool=pool) == 1
    assert await close_session(CloseSession(session.refresh_token, account.id), pool=pool) == 0


async def test_another_users_refresh_token_is_left_untouched(pool, keyring, register, log_in):
    mallory = await register("mallory@example.com")
    await register("victim@example.com")
    victims = await log_in("victim@example.com")
    assert await close_session(CloseSession(victims.refresh_token, mallory.id), pool=pool) == 0
    assert isinstance(await _refresh(pool, keyring, victims.refresh_token), SessionTokens)


async def test_post_logout_answers_204_twice_and_the_session_ends(client, register, log_in):
    await register("carol@example.com")
    session = await log_in("carol@example.com")
    headers = {"authorization": f"Bearer {session.access_token}"}
    body = {"refresh_token": session.refresh_token}
    first = await client.post("/v1/sessions/logout", json=body, headers=headers)
    again = await client.post("/v1/sessions/logout", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (204, 204)
    assert first.content == b""
    refresh = await client.post("/v1/sessions/refresh", json=body)
    assert refresh.status_code == 401


async def test_post_logout_with_another_users_token_answers_204_and_revokes_nothing(client, register, log_in):
    await register("mallory@example.com")
    await register("victim@example.com")
    mallory = await log_in("mallory@example.com")
    victim = await log_in("victim@example.com")
    response = await client.post(
        "/v1/sessions/logout",
        json={"refresh_token": victim.refresh_token},
        headers={"authorization": f"Bearer {mallory.access_token}"},
    )
    assert response.status_code == 204
    refresh = await client.post("/v1/sessions/refresh", json={"refresh_token": victim.refresh_token})
    assert refresh.status_code == 200


async def test_post_logout_without_a_bearer_token_is_a_401_problem(client, register, log_in):
    await register("dave@example.com")
    session = await log_in("dave@example.com")
    response = await client.post("/v1/sessions/logout", json={"refresh_token": session.refresh_token})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
