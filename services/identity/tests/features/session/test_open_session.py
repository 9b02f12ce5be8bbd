from __future__ import annotations

import time

from fleetkit.db import KitPool
from identity.features.session.open_session.command import OpenSession
from identity.features.session.open_session.handler import BadCredentials, LoginLimits, open_session
from identity.passwords import Passwords
from identity.sessions import SessionTokens
from identity.tokens import KeyRing

PASSWORD = "correct horse battery"


async def _attempt(pool, passwords, keyring, email: str, password: str):
    return await open_session(
        OpenSession(email, password),
        pool=pool,
        passwords=passwords,
        keyring=keyring,
        refresh_ttl_s=3600,
        limits=LoginLimits(budget=1000, window_s=60, backoff_s=0),
    )


async def test_the_right_password_yields_an_access_and_a_refresh_token(
    pool: KitPool, passwords: Passwords, keyring: KeyRing, register
):
    account = await register("alice@example.com")
    outcome = await _attempt(pool, passwords, keyring, "alice@example.com", PASSWORD)
    assert isinstance(outcome, SessionTokens)
    assert outcome.expires_in == 900
    assert outcome.access_token.count(".") == 2
    assert len(outcome.refresh_token) >= 32
    stored = await pool.fetchval("SELECT count(*) FROM refresh_tokens WHERE account_id = $1", account.id)
    assert stored == 1
    in_clear = await pool.fetchval(
        "SELECT count(*) FROM refresh_tokens WHERE token_hash = $1",
        outcome.refresh_token.encode(),
    )
    assert in_clear == 0, "refresh tokens are stored hashed"


async def test_the_email_is_matched_case_insensitively(pool, passwords, keyring, register):
    await register("bob@example.com")
    outcome = await _attempt(pool, passwords, keyring, "  BOB@Example.Com ", PASSWORD)
    assert isinstance(outcome, SessionTokens)


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(pool, passwords, keyring, register):
    await register("carol@example.com")
    wrong = await _attempt(pool, passwords, keyring, "carol@example.com", "not the password!")
    unknown = await _attempt(pool, passwords, keyring, "nobody@example.com", PASSWORD)
    assert wrong == unknown == BadCredentials()
    assert await pool.fetchval("SELECT count(*) FROM refresh_tokens") == 0


async def test_an_unknown_email_and_a_wrong_password_both_spend_the_argon2_time(pool, passwords, keyring, register):
    account_hash = await passwords.hash(PASSWORD)

    await register("dave@example.com")
    attempts = {
        "verify": lambda: passwords.verify_or_burn(account_hash, PASSWORD),
        "wrong": lambda: _attempt(pool, passwords, keyring, "dave@example.com", "not the password!"),
        "unknown": lambda: _attempt(pool, passwords, keyring, "nobody@example.com", PASSWORD),
    }
    fastest = dict.fromkeys(attempts, float("inf"))
    for _ in range(5):  # interleaved rounds, fastest of each: robust against a busy machine
        for name, attempt in attempts.items():
            started = time.perf_counter()
            await attempt()
            fastest[name] = min(fastest[name], time.perf_counter() - started)
    verify, wrong, unknown = fastest["verify"], fastest["wrong"], fastest["unknown"]
    assert wrong > 0.5 * verify
    assert unknown > 0.5 * verify


async def test_post_sessions_answers_200_with_a_bearer_token_pair(client, register):
    response = await client.post("/v1/accounts", json={"email": "erin@example.com", "password": PASSWORD})
    assert response.status_code == 201
    login = await client.post("/v1/sessions", json={"email": "ERIN@example.com", "password": PASSWORD})
    assert login.status_code == 200
    body = login.json()
    assert set(body) == {"access_token", "refresh_token", "expires_in", "token_type"}
    assert body["token_type"] == "Bearer"
    me = await client.get("/v1/me", headers={"authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200


async def test_post_sessions_answers_byte_identical_401s_for_unknown_email_and_wrong_password(
    client,
):
    await client.post("/v1/accounts", json={"email": "frank@example.com", "password": PASSWORD})
    wrong = await client.post("/v1/sessions", json={"email": "frank@example.com", "password": "not the password!"})
    unknown = await client.post("/v1/sessions", json={"email": "nobody@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    assert wrong.content == unknown.content
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")
