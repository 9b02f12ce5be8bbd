from __future__ import annotations

from fleetkit.ids import new_id
from identity.accounts import Account
from identity.features.account.get_me.command import GetMe
from identity.features.account.get_me.handler import AccountGone, get_me


async def test_get_me_returns_the_callers_account(pool, register):
    account = await register("alice@example.com")
    outcome = await get_me(GetMe(account.id), pool=pool)
    assert outcome == Account(id=account.id, email="alice@example.com", created_at=account.created_at)


async def test_get_me_reports_an_account_that_no_longer_exists(pool):
    assert await get_me(GetMe(new_id()), pool=pool) == AccountGone()


async def test_get_v1_me_with_a_token_answers_the_account(client, register, log_in):
    account = await register("bob@example.com")
    session = await log_in("bob@example.com")
    response = await client.get("/v1/me", headers={"authorization": f"Bearer {session.access_token}"})
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": str(account.id),
        "email": "bob@example.com",
        "created_at": body["created_at"],
    }
    assert body["created_at"].endswith("Z")


async def test_get_v1_me_without_a_token_is_a_401_problem(client):
    response = await client.get("/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_get_v1_me_with_a_garbage_token_is_a_401_problem(client):
    response = await client.get("/v1/me", headers={"authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_get_v1_me_for_a_deleted_account_is_a_404_problem(client, pool, register, log_in):
    account = await register("carol@example.com")
    session = await log_in("carol@example.com")
    await pool.execute("DELETE FROM accounts WHERE id = $1", account.id)
    response = await client.get("/v1/me", headers={"authorization": f"Bearer {session.access_token}"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
