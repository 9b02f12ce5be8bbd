"""The JWKS, checked with an independent JOSE implementation (joserfc), not the kit's PyJWT."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey
from litestar.testing import AsyncTestClient

from identity.app import create_app
from identity.features.keys.publish_jwks.command import PublishJwks
from identity.features.keys.publish_jwks.handler import publish_jwks
from identity.tokens import KeyRing, generate_keys, rotate_keys


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _part(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _verify_independently(token: str, jwks: dict) -> dict:
    """Verify signature and claims with joserfc against the published document."""
    decoded = jose_jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["EdDSA"])
    registry = jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": "fleet-identity"},
        aud={"essential": True, "value": "fleet"},
        sub={"essential": True},
        exp={"essential": True},
    )
    registry.validate(decoded.claims)
    return decoded.claims


def tampered_tokens(token: str, public_x: str) -> dict[str, str]:
    header, payload, signature = token.split(".")
    claims = _part(payload)
    forged_payload = _b64(json.dumps({**claims, "sub": "00000000-0000-7000-8000-000000000000"}).encode())
    sig = bytearray(base64.urlsafe_b64decode(signature + "=="))
    sig[-1] ^= 0x01
    none_header = _b64(json.dumps({**_part(header), "alg": "none"}).encode())
    hs_header = _b64(json.dumps({**_part(header), "alg": "HS256"}).encode())
    public_raw = base64.urlsafe_b64decode(public_x + "==")
    hs_sig = hmac.new(public_raw, f"{hs_header}.{payload}".encode(), hashlib.sha256).digest()
    return {
        "payload-changed": f"{header}.{forged_payload}.{signature}",
        "signature-changed": f"{header}.{payload}.{_b64(bytes(sig))}",
        "alg-none": f"{none_header}.{payload}.",
        "hs256-with-public-key": f"{hs_header}.{payload}.{_b64(hs_sig)}",
    }


@pytest.fixture
def rotated_keys_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "keys"
    generate_keys(folder)
    assert rotate_keys(folder) is None
    return folder


@pytest.fixture
async def rotated_client(app_env, rotated_keys_dir, monkeypatch):
    monkeypatch.setenv("IDENTITY_SIGNING_KEYS_DIR", str(rotated_keys_dir))
    async with AsyncTestClient(app=create_app()) as test_client:
        yield test_client


def _kid_of(folder: Path, name: str) -> str:
    only = folder.parent / f"only-{name}"
    only.mkdir(exist_ok=True)
    (only / "current.pem").write_bytes((folder / name).read_bytes())
    return KeyRing.from_folder(only, issuer="i", audience="a", ttl_s=900).signing_kid


def test_publish_jwks_lists_current_then_next_then_previous(rotated_keys_dir):
    ring = KeyRing.from_folder(rotated_keys_dir, issuer="i", audience="a", ttl_s=900)
    kids = [key.kid for key in publish_jwks(PublishJwks(), keyring=ring)]
    expected = [_kid_of(rotated_keys_dir, name) for name in ("current.pem", "next.pem", "previous.pem")]
    assert kids == expected
    assert kids[0] == ring.signing_kid


async def test_the_jwks_publishes_current_next_and_previous_keys_with_rfc7638_kids(rotated_client):
    response = await rotated_client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jwk-set+json")
    assert "max-age" in response.headers["cache-control"]
    keys = response.json()["keys"]
    assert len(keys) == 3
    for key in keys:
        assert {k: key[k] for k in ("kty", "crv", "alg", "use")} == {
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
        }
        assert "d" not in key, "no private key material"
        assert key["kid"] == OKPKey.import_key(key).thumbprint()


async def test_an_issued_token_verifies_with_joserfc_against_the_published_jwks(client, register, log_in):
    account = await register("alice@example.com")
    session = await log_in("alice@example.com")
    jwks = (await client.get("/.well-known/jwks.json")).json()
    claims = _verify_independently(session.access_token, jwks)
    assert claims["sub"] == str(account.id)
    assert claims["typ"] == "access"
    assert _part(session.access_token.split(".")[0])["kid"] == jwks["keys"][0]["kid"]


@pytest.mark.parametrize("kind", ["payload-changed", "signature-changed", "alg-none", "hs256-with-public-key"])
async def test_a_tampered_token_fails_joserfc_and_identitys_own_check(client, register, log_in, kind):
    await register("bob@example.com")
    session = await log_in("bob@example.com")
    jwks = (await client.get("/.well-known/jwks.json")).json()
    forged = tampered_tokens(session.access_token, jwks["keys"][0]["x"])[kind]
    with pytest.raises((JoseError, ValueError)):
        _verify_independently(forged, jwks)
    response = await client.get("/v1/me", headers={"authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_a_token_signed_with_the_previous_key_still_verifies_after_rotation(
    rotated_client, rotated_keys_dir, pool, register, tmp_path
):
    account = await register("carol@example.com")
    old_only = tmp_path / "old"
    old_only.mkdir()
    (old_only / "current.pem").write_bytes((rotated_keys_dir / "previous.pem").read_bytes())
    old_ring = KeyRing.from_folder(old_only, issuer="fleet-identity", audience="fleet", ttl_s=900)
    token = old_ring.sign_access_token(account.id, time.time()).token
    jwks = (await rotated_client.get("/.well-known/jwks.json")).json()
    assert _part(token.split(".")[0])["kid"] == jwks["keys"][2]["kid"]
    assert _verify_independently(token, jwks)["sub"] == str(account.id)
    response = await rotated_client.get("/v1/me", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
