"""Token attacks against every service: each is 401 problem+json with nothing leaked.

Tokens are built byte by byte with the fleet's own signing key (``fleet.keys``), so each attack
differs from a valid token in exactly one way; a control request with a valid token proves the
probe route would otherwise answer 200.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.reliability import support
from tests.reliability.support import TALLY, b64, claims, kid_of, mint, raw_token, signing_key

UNAUTHORIZED = {
    "title": "Unauthorized",
    "status": 401,
    "detail": "A valid bearer access token is required.",
}


def _public_pem(keys: Path) -> bytes:
    return (
        signing_key(keys)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _public_x(keys: Path) -> str:
    raw = signing_key(keys).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b64(raw)


def _hs256(keys: Path, secret: bytes) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": kid_of(signing_key(keys))}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def _alg_none(keys: Path) -> str:
    return raw_token({"alg": "none", "typ": "JWT", "kid": kid_of(signing_key(keys))}, claims(), b"")


def _alg_none_no_signature(keys: Path) -> str:
    return _alg_none(keys).rsplit(".", 1)[0] + "."


def _tampered(keys: Path) -> str:
    """A valid token whose payload is swapped for another user's: the signature no longer fits."""
    header, _, signature = mint(keys).split(".")
    other = b64(json.dumps(claims(str(uuid.uuid4()))).encode())
    return f"{header}.{other}.{signature}"


def _flipped_signature(keys: Path) -> str:
    header, payload, signature = mint(keys).split(".")
    return f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"


def _forged_same_kid(keys: Path) -> str:
    """Signed by an attacker's Ed25519 key but claiming the fleet's kid."""
    import jwt

    rogue = Ed25519PrivateKey.generate()
    return jwt.encode(claims(), rogue, algorithm="EdDSA", headers={"kid": kid_of(signing_key(keys))})


def _unknown_kid(keys: Path) -> str:
    return mint(keys, kid="not-a-key-" + uuid.uuid4().hex)


def _rogue_key_rogue_kid(keys: Path) -> str:
    import jwt

    rogue = Ed25519PrivateKey.generate()
    return jwt.encode(claims(), rogue, algorithm="EdDSA", headers={"kid": kid_of(rogue)})


def _truncated(keys: Path) -> str:
    token = mint(keys)
    return token[: len(token) - 20]


def _two_segments(keys: Path) -> str:
    return ".".join(mint(keys).split(".")[:2])


def _oversized_header(keys: Path) -> str:
    """A well-signed token whose JOSE header carries 8 KiB of padding."""
    import jwt

    key = signing_key(keys)
    return jwt.encode(claims(), key, algorithm="EdDSA", headers={"kid": kid_of(key), "pad": "x" * 8192})


def _signed_as_written(keys: Path, **overrides: object) -> str:
    """Signed with the fleet's key, the claims serialised as given (PyJWT would coerce some of them)."""
    key = signing_key(keys)
    header = b64(json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": kid_of(key)}).encode())
    payload = b64(json.dumps(claims(**overrides)).encode())
    return f"{header}.{payload}.{b64(key.sign(f'{header}.{payload}'.encode()))}"


ATTACKS: dict[str, Callable[[Path], str]] = {
    "alg_none": _alg_none,
    "alg_none_empty_signature": _alg_none_no_signature,
    "hs256_signed_with_public_pem": lambda k: _hs256(k, _public_pem(k)),
    "hs256_signed_with_public_jwk_x": lambda k: _hs256(k, _public_x(k).encode()),
    "unknown_kid": _unknown_kid,
    "rogue_key_with_its_own_kid": _rogue_key_rogue_kid,
    "forged_signature_fleet_kid": _forged_same_kid,
    "expired": lambda k: mint(k, exp=int(time.time()) - 120, iat=int(time.time()) - 1000, nbf=int(time.time()) - 1000),
    "not_yet_valid": lambda k: mint(k, nbf=int(time.time()) + 3600, exp=int(time.time()) + 7200),
    "issued_in_the_future_only": lambda k: mint(k, iat=int(time.time()) + 3600),
    "wrong_issuer": lambda k: mint(k, iss="https://evil.example"),
    "wrong_audience": lambda k: mint(k, aud="someone-else"),
    "no_audience": lambda k: mint(k, aud=None),
    "no_expiry": lambda k: mint(k, exp=None),
    "no_jti": lambda k: mint(k, jti=None),
    "not_an_access_token": lambda k: mint(k, typ="refresh"),
    "exp_as_a_numeric_string": lambda k: _signed_as_written(k, exp=str(int(time.time()) + 600)),
    "nbf_as_a_numeric_string": lambda k: _signed_as_written(k, nbf=str(int(time.time()) - 10)),
    "iat_as_a_numeric_string": lambda k: _signed_as_written(k, iat=str(int(time.time()) - 10)),
    "exp_1e20": lambda k: _signed_as_written(k, exp=1e20),
    "exp_infinity": lambda k: _signed_as_written(k, exp=float("inf")),
    "lifetime_over_the_maximum": lambda k: mint(k, exp=int(time.time()) + 3600 + 60),
    "no_iat": lambda k: mint(k, iat=None),
    "sub_not_a_uuid": lambda k: mint(k, sub="admin"),
    "tampered_payload": _tampered,
    "flipped_signature": _flipped_signature,
    "truncated": _truncated,
    "two_segments": _two_segments,
    "oversized_header": _oversized_header,
    "oversized_token_64k": lambda k: mint(k) + "A" * 65_536,
    "dots_only": lambda k: "..",
    "garbage": lambda k: "this-is-not-a-jwt",
    "non_ascii": lambda k: "é.é.é",
}


def _ask(url: str, path: str, token: str | None, *, scheme: str = "Bearer") -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"{scheme} {token}".encode()}
    with httpx.Client(base_url=url, timeout=15) as http:
        return http.get(path, headers=headers)


def _assert_rejected(response: httpx.Response, token: str) -> None:
    TALLY.add("token_attacks_tried")
    body = support.assert_problem(response, 401)
    assert body == UNAUTHORIZED, body  # the same fixed body whatever went wrong: no hints
    assert "www-authenticate" in response.headers
    for part in {p for p in token.split(".") if len(p) > 8}:
        assert part not in response.text
    assert set(response.headers) <= {
        "content-type",
        "content-length",
        "www-authenticate",
        "date",
        "server",
        "connection",
        "vary",
    }, response.headers


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_bad_token_is_401_problem_json_on_every_service(fleet, services, attack):
    token = ATTACKS[attack](fleet.keys)
    for service in services:
        response = _ask(fleet.url(service), support.PROTECTED_PROBE[service], token)
        _assert_rejected(response, token)


def test_the_control_token_is_accepted_everywhere(fleet, services):
    """Without this the 401s above would prove nothing."""
    user = support.new_user(fleet.url("identity"))
    minted = mint(fleet.keys, user.id)
    for service in services:
        for token in (user.access_token, minted):
            response = _ask(fleet.url(service), support.PROTECTED_PROBE[service], token)
            assert response.status_code == 200, (service, response.text)


def test_a_refresh_token_is_not_an_access_token(fleet, services):
    user = support.new_user(fleet.url("identity"))
    for service in services:
        response = _ask(fleet.url(service), support.PROTECTED_PROBE[service], user.refresh_token)
        _assert_rejected(response, user.refresh_token)


def test_missing_or_other_scheme_is_401(fleet, services):
    user = support.new_user(fleet.url("identity"))
    for service in services:
        url, path = fleet.url(service), support.PROTECTED_PROBE[service]
        _assert_rejected(_ask(url, path, None), "")
        _assert_rejected(_ask(url, path, user.access_token, scheme="Basic"), user.access_token)
        _assert_rejected(_ask(url, path, user.access_token, scheme="Token"), user.access_token)


def test_an_expired_token_that_was_once_cached_is_rejected(fleet, services):
    """The verified-token cache must not outlive the token (leeway is 5 s)."""
    user = support.new_user(fleet.url("identity"))
    token = mint(fleet.keys, user.id, exp=int(time.time()) + 2)
    for service in services:
        assert _ask(fleet.url(service), support.PROTECTED_PROBE[service], token).status_code == 200
    time.sleep(2 + 5 + 1.5)
    for service in services:
        _assert_rejected(_ask(fleet.url(service), support.PROTECTED_PROBE[service], token), token)


def test_every_protected_operation_rejects_a_forged_token(fleet, services):
    """Not only the probe routes: every operation the OpenAPI documents that is not public."""
    forged = _forged_same_kid(fleet.keys)
    for service in services:
        with httpx.Client(base_url=fleet.url(service), timeout=15) as http:
            spec = http.get("/docs/openapi.json").json()
            for path, operations in spec["paths"].items():
                if not path.startswith("/v1/"):
                    continue
                for method, operation in operations.items():
                    if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                        continue
                    if "security" not in operation:  # documented public: the route's RoutePolicy says so
                        continue
                    concrete = _fill_path(path)
                    response = http.request(
                        method.upper(), concrete, headers={"Authorization": f"Bearer {forged}"}, json={}
                    )
                    assert response.status_code == 401, (service, method, path, response.status_code, response.text)
                    _assert_rejected(response, forged)


def _fill_path(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
