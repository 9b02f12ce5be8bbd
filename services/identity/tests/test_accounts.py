"""One e-mail rule for every slice: an account registered under one spelling of a mailbox is found
by logging in with any other spelling of it. Were the two slices to normalise differently, the
account's owner could never log in."""

from __future__ import annotations

import pytest

from identity.features.session.open_session.command import OpenSession
from identity.features.session.open_session.handler import LoginLimits, open_session
from identity.sessions import SessionTokens

PASSWORD = "correct horse battery"


@pytest.mark.parametrize(
    ("registered_as", "logged_in_as"),
    [
        ("  Foo@Example.COM ", "foo@example.com"),
        ("foo@example.com", "  FOO@EXAMPLE.com\t"),
        ("\uff26\uff4f\uff4f@example.com", "foo@example.com"),  # fullwidth letters, folded by NFKC
        ("foo@example.com", "\uff46\uff4f\uff4f@\uff25xample.com"),
        ("\ufb01ne@example.com", "FINE@example.com"),  # the "fi" ligature, folded by NFKC
        ("Fine@example.com", " \ufb01ne@example.com"),
    ],
)
async def test_register_and_log_in_normalise_the_email_identically(
    pool, passwords, keyring, register, registered_as, logged_in_as
):
    account = await register(registered_as)
    outcome = await open_session(
        OpenSession(email=logged_in_as, password=PASSWORD),
        pool=pool,
        passwords=passwords,
        keyring=keyring,
        refresh_ttl_s=3600,
        limits=LoginLimits(budget=1000, window_s=60, backoff_s=0),
    )
    assert isinstance(outcome, SessionTokens), f"{logged_in_as!r} missed the account registered as {registered_as!r}"
    owner = await pool.fetchval("SELECT account_id FROM refresh_tokens")
    assert owner == account.id
