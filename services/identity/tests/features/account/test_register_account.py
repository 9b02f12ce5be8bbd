from __future__ import annotations

import pytest

from fleetkit.db import KitPool
from identity.accounts import Account
from identity.features.account.register_account.command import RegisterAccount
from identity.features.account.register_account.handler import (
    EmailTaken,
    WeakPassword,
    register_account,
)
from identity.passwords import Passwords

PASSWORD = "correct horse battery"


async def test_register_normalises_the_email_and_stores_an_argon2id_hash(pool: KitPool, passwords: Passwords):
    outcome = await register_account(RegisterAccount(" Alice@Example.COM ", PASSWORD), pool=pool, passwords=passwords)
    assert isinstance(outcome, Account)
    assert outcome.email == "alice@example.com"
    assert outcome.id.version == 7
    assert outcome.created_at.tzinfo is not None
    stored = await pool.fetchval("SELECT password_hash FROM accounts WHERE id = $1", outcome.id)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_register_refuses_a_second_account_for_the_same_mailbox(pool: KitPool, passwords: Passwords):
    await register_account(RegisterAccount("bob@example.com", PASSWORD), pool=pool, passwords=passwords)
    again = await register_account(RegisterAccount("BOB@example.com", PASSWORD), pool=pool, passwords=passwords)
    assert isinstance(again, EmailTaken)
    assert await pool.fetchval("SELECT count(*) FROM accounts") == 1


@pytest.mark.parametrize("password", ["aaaaaaaaaaaaaaaa", "password1234", "carol-is-my-name-ok"])
async def test_register_rejects_guessable_passwords(pool: KitPool, passwords: Passwords, password: str):
    outcome = await register_account(RegisterAccount("carol@example.com", password), pool=pool, passwords=passwords)
    assert isinstance(outcome, WeakPassword)
    assert await pool.fetchval("SELECT count(*) FROM accounts") == 0


async def test_post_accounts_answers_201_then_409_as_problem_json(client):
    body = {"email": "dave@example.com", "password": PASSWORD}
    created = await client.post("/v1/accounts", json=body)
    assert created.status_code == 201
    assert set(created.json()) == {"id", "email", "created_at"}
    assert created.json()["created_at"].endswith("Z")
    again = await client.post("/v1/accounts", json=body)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": 5, "password": PASSWORD}, "email"),
        ({"password": PASSWORD}, "email"),
        ({"email": "x" * 300 + "@example.com", "password": PASSWORD}, "email"),
        ({"email": "erin@example.com", "password": "short"}, "password"),
        ({"email": "erin@example.com", "password": PASSWORD, "user_id": "x"}, "user_id"),
    ],
)
async def test_post_accounts_names_the_bad_field(client, body, field):
    response = await client.post("/v1/accounts", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.json()["detail"]


async def test_post_accounts_rejects_malformed_json_with_400(client):
    response = await client.post("/v1/accounts", content=b'{"email": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_document_states_the_password_rules_that_give_422(client):
    document = (await client.get("/docs/openapi.json")).json()
    password = document["components"]["schemas"]["RegisterAccountRequest"]["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (12, 128)
    for rule in ("4 distinct characters", "common password", "e-mail address"):
        assert rule in password["description"], rule
    operation = document["paths"]["/v1/accounts"]["post"]
    assert "security" not in operation  # public: registering needs no token
    assert "distinct characters" in operation["responses"]["422"]["description"]
    me = document["paths"]["/v1/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
