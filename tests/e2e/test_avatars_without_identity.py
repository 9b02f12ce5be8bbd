"""Avatars verifies tokens locally with the keys it fetched: identity being down does not take it down."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.e2e.client import register_and_login
from tests.e2e.test_avatars_flow import wait_until_avatars_has_keys


def _unknown_kid_token(token: str) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"EdDSA","kid":"not-a-known-key","typ":"JWT"}').rstrip(b"=")
    return ".".join([header.decode(), *token.split(".")[1:]])


def test_avatars_keeps_authenticating_with_cached_keys_while_identity_is_stopped(local_fleet):
    seen = register_and_login(local_fleet.url("identity"))
    fresh = register_and_login(local_fleet.url("identity"))  # a token avatars has never verified
    with httpx.Client(base_url=local_fleet.url("avatars"), timeout=10) as http:
        wait_until_avatars_has_keys(http, seen)
        local_fleet.stop("identity")
        try:
            with (
                httpx.Client(base_url=local_fleet.url("identity"), timeout=2) as identity,
                pytest.raises(httpx.TransportError),
            ):
                identity.get("/livez")

            created = http.post("/v1/avatar-drafts", json={}, headers=fresh.auth)
            assert created.status_code == 201, created.text

            # An unknown kid makes avatars try identity's JWKS, which fails: the keys it has stay.
            bogus = {"Authorization": f"Bearer {_unknown_kid_token(fresh.access_token)}"}
            assert http.get("/v1/me/avatars", headers=bogus).status_code == 401
            assert http.get("/v1/me/avatars", headers=seen.auth).status_code == 200
            assert http.get("/v1/me/avatars").status_code == 401
        finally:
            local_fleet.start("identity")
        assert http.get("/readyz").status_code == 200
