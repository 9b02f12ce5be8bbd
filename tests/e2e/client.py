"""A small client of helpers for the e2e suites: users, tokens and authorised calls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class User:
    id: str
    email: str
    access_token: str
    refresh_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def register_and_login(identity_url: str, *, password: str = PASSWORD, prefix: str = "user") -> User:
    """A new user with a random e-mail, so tests never collide."""
    email = f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"
    with httpx.Client(base_url=identity_url, timeout=10) as http:
        created = http.post("/v1/accounts", json={"email": email, "password": password})
        created.raise_for_status()
        tokens = http.post("/v1/sessions", json={"email": email, "password": password})
        tokens.raise_for_status()
    body = tokens.json()
    return User(created.json()["id"], email, body["access_token"], body["refresh_token"])
