"""register → login → me → refresh → logout over HTTP, exactly as the README shows with curl."""

from __future__ import annotations

import httpx

from tests.e2e.client import PASSWORD, register_and_login


def test_a_user_registers_logs_in_sees_themself_refreshes_and_logs_out(fleet):
    user = register_and_login(fleet.url("identity"))
    with httpx.Client(base_url=fleet.url("identity"), timeout=10) as http:
        me = http.get("/v1/me", headers=user.auth)
        assert me.status_code == 200
        assert me.json()["email"] == user.email
        refreshed = http.post("/v1/sessions/refresh", json={"refresh_token": user.refresh_token})
        assert refreshed.status_code == 200
        pair = refreshed.json()
        assert pair["refresh_token"] != user.refresh_token
        new_auth = {"Authorization": f"Bearer {pair['access_token']}"}
        assert http.get("/v1/me", headers=new_auth).status_code == 200
        out = http.post("/v1/sessions/logout", json={"refresh_token": pair["refresh_token"]}, headers=new_auth)
        assert out.status_code == 204
        after = http.post("/v1/sessions/refresh", json={"refresh_token": pair["refresh_token"]})
        assert after.status_code == 401
        assert after.headers["content-type"] == "application/problem+json"


def test_login_with_a_wrong_password_is_401_problem_json(fleet):
    user = register_and_login(fleet.url("identity"))
    with httpx.Client(base_url=fleet.url("identity"), timeout=10) as http:
        wrong = http.post("/v1/sessions", json={"email": user.email, "password": PASSWORD + "x"})
    assert wrong.status_code == 401
    assert wrong.json()["status"] == 401
