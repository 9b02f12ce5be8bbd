"""identity's generated signing-key Secret (kind/dev): a current and a distinct next key, both Ed25519."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.charts.conftest import RELEASE, find


def test_the_generated_secret_holds_a_current_and_a_next_key(kind):
    secret = find(kind, "Secret", f"{RELEASE}-identity-signing-keys")
    assert set(secret["data"]) == {"current.pem", "next.pem"}, "no previous key before the first rotation"
    keys = {
        name: serialization.load_pem_private_key(base64.b64decode(value), password=None)
        for name, value in secret["data"].items()
    }
    assert all(isinstance(key, Ed25519PrivateKey) for key in keys.values())
    raw = {name: key.public_key().public_bytes_raw() for name, key in keys.items()}
    assert raw["current.pem"] != raw["next.pem"]
