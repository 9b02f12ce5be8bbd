"""Bearer authentication: TokenVerifier over static keys and over a JWKS served by a real server."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from kit_support import AUDIENCE, ISSUER, SigningKey

from fleetkit.auth import AuthFailure, Caller, StaticKeySource, TokenVerifier
from fleetkit.jwks import JwksKeySource


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def jwk(key: SigningKey) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64(_raw(key.public)),
        "kid": key.kid,
        "alg": "EdDSA",
        "use": "sig",
    }


def _segments(token: str) -> list[str]:
    return token.split(".")


def _encode_json(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _decode_json(segment: str) -> dict[str, Any]:
    padded = segment + "=" * (-len(segment) % 4)
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return decoded


def tamper_payload(token: str, **changes: Any) -> str:
    header, payload, signature = _segments(token)
    claims = {**_decode_json(payload), **changes}
    return f"{header}.{_encode_json(claims)}.{signature}"


def tamper_signature(token: str) -> str:
    header, payload, signature = _segments(token)
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0x01
    return f"{header}.{payload}.{_b64(bytes(raw))}"


def alg_none(token: str) -> str:
    header, payload, _ = _segments(token)
    forged = {**_decode_json(header), "alg": "none"}
    return f"{_encode_json(forged)}.{payload}."


def hs256_with_public_key(token: str, secret: bytes) -> str:
    """The classic key-confusion forgery: HMAC over the token with the public key as secret."""
    header, payload, _ = _segments(token)
    forged = _encode_json({**_decode_json(header), "alg": "HS256"})
    mac = hmac.new(secret, f"{forged}.{payload}".encode(), hashlib.sha256).digest()
    return f"{forged}.{payload}.{_b64(mac)}"


MAX_LIFETIME_S = 3600


def verifier_for(*keys: SigningKey, cache_size: int = 100, leeway_s: float = 0.0) -> TokenVerifier:
    return TokenVerifier(
        StaticKeySource({k.kid: k.public for k in keys}),
        issuer=ISSUER,
        audience=AUDIENCE,
        leeway_s=leeway_s,
        cache_size=cache_size,
        max_lifetime_s=MAX_LIFETIME_S,
    )


async def test_a_valid_token_yields_the_caller_named_by_its_claims(signing_key: SigningKey):
    claims = signing_key.claims()
    token = signing_key.mint(sub=claims["sub"], jti=claims["jti"], exp=claims["exp"])
    caller = await verifier_for(signing_key).verify(token)
    assert isinstance(caller, Caller)
    assert str(caller.user_id) == claims["sub"]
    assert caller.token_id == claims["jti"]
    assert caller.expires_at == claims["exp"]


def _now() -> int:
    return int(time.time())


class Ago(int):
    """A time claim given relative to the moment the token is minted."""


REJECTED_CLAIMS = [
    pytest.param({"exp": Ago(-60)}, id="expired"),
    pytest.param({"nbf": Ago(60)}, id="nbf-in-future"),
    pytest.param({"iat": Ago(3600)}, id="iat-in-future"),
    pytest.param({"iss": "someone-else"}, id="wrong-iss"),
    pytest.param({"aud": "another-audience"}, id="wrong-aud"),
    pytest.param({"typ": "refresh"}, id="typ-not-access"),
    pytest.param({"sub": "not-a-uuid"}, id="sub-not-a-uuid"),
    *(
        pytest.param({claim: None}, id=f"missing-{claim}")
        for claim in ("exp", "iat", "nbf", "sub", "iss", "aud", "jti", "typ")
    ),
]


@pytest.mark.parametrize("changes", REJECTED_CLAIMS)
async def test_a_token_with_bad_claims_is_invalid(signing_key: SigningKey, changes):
    overrides = {k: _now() + v if isinstance(v, Ago) else v for k, v in changes.items()}
    token = signing_key.mint(**overrides)
    assert await verifier_for(signing_key).verify(token) is AuthFailure.INVALID


async def test_the_leeway_absorbs_small_clock_skew(signing_key: SigningKey):
    token = signing_key.mint(exp=_now() - 2)
    assert isinstance(await verifier_for(signing_key, leeway_s=10).verify(token), Caller)
    assert await verifier_for(signing_key, leeway_s=0).verify(token) is AuthFailure.INVALID


async def test_a_tampered_payload_is_invalid(signing_key: SigningKey):
    token = tamper_payload(signing_key.mint(), sub="01950000-0000-7000-8000-000000000000")
    assert await verifier_for(signing_key).verify(token) is AuthFailure.INVALID


async def test_a_tampered_signature_is_invalid(signing_key: SigningKey):
    token = tamper_signature(signing_key.mint())
    assert await verifier_for(signing_key).verify(token) is AuthFailure.INVALID


async def test_alg_none_is_refused(signing_key: SigningKey):
    outcome = await verifier_for(signing_key).verify(alg_none(signing_key.mint()))
    assert outcome in (AuthFailure.INVALID, AuthFailure.MALFORMED)


@pytest.mark.parametrize("encoding", ["raw", "pem"])
async def test_hs256_signed_with_the_public_key_is_refused(signing_key: SigningKey, encoding):
    secret = (
        _raw(signing_key.public)
        if encoding == "raw"
        else signing_key.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    token = hs256_with_public_key(signing_key.mint(), secret)
    assert await verifier_for(signing_key).verify(token) is AuthFailure.INVALID


async def test_a_token_signed_by_another_key_under_a_known_kid_is_invalid(signing_key: SigningKey):
    impostor = SigningKey(kid=signing_key.kid)
    assert await verifier_for(signing_key).verify(impostor.mint()) is AuthFailure.INVALID


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c.d", "x" * 5000, "!!!.???.***", "e30.e30.e30"],
)
async def test_garbage_is_malformed_or_invalid_never_an_exception(signing_key: SigningKey, token):
    outcome = await verifier_for(signing_key).verify(token)
    assert outcome in (AuthFailure.MALFORMED, AuthFailure.INVALID)


async def test_an_unknown_kid_with_static_keys_is_an_unknown_key(signing_key: SigningKey):
    stranger = SigningKey()
    assert await verifier_for(signing_key).verify(stranger.mint()) is AuthFailure.UNKNOWN_KEY


class CountingKeys(StaticKeySource):
    """Counts key look-ups: a verification that skips them was served from the cache."""

    __slots__ = ("lookups",)

    def __init__(self, *keys: SigningKey) -> None:
        super().__init__({k.kid: k.public for k in keys})
        self.lookups = 0

    def get(self, kid: str) -> Ed25519PublicKey | None:
        self.lookups += 1
        return super().get(kid)


async def test_a_cache_hit_returns_the_same_caller_without_verifying_again(signing_key):
    keys = CountingKeys(signing_key)
    verifier = TokenVerifier(
        keys, issuer=ISSUER, audience=AUDIENCE, leeway_s=0, cache_size=10, max_lifetime_s=MAX_LIFETIME_S
    )
    token = signing_key.mint()
    first = await verifier.verify(token)
    second = await verifier.verify(token)
    assert isinstance(first, Caller)
    assert second is first
    assert keys.lookups == 1


async def test_a_cached_token_stops_verifying_when_it_expires(signing_key: SigningKey):
    verifier = verifier_for(signing_key, leeway_s=0)
    expires = _now() + 1
    token = signing_key.mint(exp=expires)
    assert isinstance(await verifier.verify(token), Caller)
    await asyncio.sleep(max(0.0, expires - time.time()) + 1.05)
    assert await verifier.verify(token) is AuthFailure.INVALID


async def test_the_token_cache_stays_bounded_and_forgets_the_oldest(signing_key: SigningKey):
    keys = CountingKeys(signing_key)
    verifier = TokenVerifier(
        keys, issuer=ISSUER, audience=AUDIENCE, leeway_s=0, cache_size=8, max_lifetime_s=MAX_LIFETIME_S
    )
    tokens = [signing_key.mint() for _ in range(200)]
    for token in tokens:
        assert isinstance(await verifier.verify(token), Caller)
    assert len(verifier._cache) <= 8
    before = keys.lookups
    for token in tokens[-4:]:
        await verifier.verify(token)
    assert keys.lookups == before, "the most recent tokens are served from the cache"
    await verifier.verify(tokens[0])
    assert keys.lookups == before + 1, "the oldest token was forgotten"


async def test_a_zero_cache_size_turns_the_cache_off(signing_key: SigningKey):
    keys = CountingKeys(signing_key)
    verifier = TokenVerifier(
        keys, issuer=ISSUER, audience=AUDIENCE, leeway_s=0, cache_size=0, max_lifetime_s=MAX_LIFETIME_S
    )
    token = signing_key.mint()
    await verifier.verify(token)
    await verifier.verify(token)
    assert keys.lookups == 2


# JWKS over real HTTP ---------------------------------------------------------------------------


class JwksServer:
    """A local aiohttp.web server publishing a JWKS document and counting its hits."""

    def __init__(self) -> None:
        self.keys: list[dict[str, str]] = []
        self.hits = 0
        self.delay = 0.0
        self.status = 200
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._port = 0

    async def _handle(self, _: web.Request) -> web.Response:
        self.hits += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.Response(status=self.status, text="down")
        return web.json_response({"keys": self.keys})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/.well-known/jwks.json", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        sockets = site._server.sockets if site._server else ()
        self._port = sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self._port}/.well-known/jwks.json"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@pytest.fixture
async def jwks_server() -> AsyncIterator[JwksServer]:
    server = JwksServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=2, connect=1)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield session


def jwks_verifier(keys: JwksKeySource) -> TokenVerifier:
    return TokenVerifier(
        keys, issuer=ISSUER, audience=AUDIENCE, leeway_s=0, cache_size=100, max_lifetime_s=MAX_LIFETIME_S
    )


async def test_keys_fetched_from_the_jwks_verify_tokens(jwks_server, http, signing_key):
    jwks_server.keys = [jwk(signing_key)]
    outcomes: list[str] = []
    keys = JwksKeySource(jwks_server.url, http, min_interval_s=10, unknown_kid_ttl_s=5, on_refresh=outcomes.append)
    assert await keys.refresh() is True
    assert outcomes == ["ok"]
    assert isinstance(await jwks_verifier(keys).verify(signing_key.mint()), Caller)


async def test_cached_keys_keep_working_when_the_jwks_server_is_down(jwks_server, http, signing_key):
    jwks_server.keys = [jwk(signing_key)]
    outcomes: list[str] = []
    keys = JwksKeySource(jwks_server.url, http, min_interval_s=0.01, unknown_kid_ttl_s=5, on_refresh=outcomes.append)
    await keys.refresh()
    await jwks_server.stop()
    assert await keys.refresh() is False
    await asyncio.sleep(0.02)
    verifier = jwks_verifier(keys)
    assert isinstance(await verifier.verify(signing_key.mint()), Caller)
    assert await verifier.verify(SigningKey().mint()) is AuthFailure.UNKNOWN_KEY
    assert outcomes[0] == "ok"
    assert len(outcomes) >= 2
    assert set(outcomes[1:]) == {"error"}


async def test_cached_keys_survive_an_error_status_or_an_empty_document(jwks_server, http, signing_key):
    jwks_server.keys = [jwk(signing_key)]
    outcomes: list[str] = []
    keys = JwksKeySource(jwks_server.url, http, min_interval_s=10, unknown_kid_ttl_s=5, on_refresh=outcomes.append)
    await keys.refresh()
    jwks_server.status = 503
    assert await keys.refresh() is False
    jwks_server.status = 200
    jwks_server.keys = []
    assert await keys.refresh() is False
    assert outcomes[:2] == ["ok", "http_503"]
    assert isinstance(await jwks_verifier(keys).verify(signing_key.mint()), Caller)


async def test_no_keys_at_all_means_keys_unavailable_not_unknown(http, signing_key):
    keys = JwksKeySource("http://127.0.0.1:1/.well-known/jwks.json", http, min_interval_s=0.1, unknown_kid_ttl_s=5)
    assert await keys.refresh() is False
    assert keys.loaded is False
    assert await jwks_verifier(keys).verify(signing_key.mint()) is AuthFailure.KEYS_UNAVAILABLE


async def test_non_ed25519_keys_in_the_jwks_are_ignored(jwks_server, http, signing_key):
    jwks_server.keys = [
        {"kty": "RSA", "kid": "rsa-1", "n": "AQAB", "e": "AQAB"},
        {**jwk(SigningKey()), "use": "enc"},
        jwk(signing_key),
    ]
    keys = JwksKeySource(jwks_server.url, http, min_interval_s=10, unknown_kid_ttl_s=5)
    assert await keys.refresh() is True
    assert keys.get("rsa-1") is None
    assert keys.get(signing_key.kid) is not None


@pytest.mark.parametrize("since_last_fetch", [0.0, 0.6], ids=["inside-the-spacing", "after-the-spacing"])
async def test_concurrent_first_requests_with_a_new_kid_are_all_accepted_on_one_shared_fetch(
    jwks_server, http, since_last_fetch
):
    """The rotation bug: 10 concurrent requests with the freshly promoted kid gave 1 accepted, 9 unknown."""
    known, promoted = SigningKey(), SigningKey()
    jwks_server.keys = [jwk(known)]
    jwks_server.delay = 0.05
    keys = JwksKeySource(jwks_server.url, http, min_interval_s=0.5, unknown_kid_ttl_s=5)
    await keys.refresh()
    verifier = jwks_verifier(keys)
    jwks_server.keys = [jwk(known), jwk(promoted)]
    await asyncio.sleep(since_last_fetch)
    outcomes = await asyncio.gather(*(verifier.verify(promoted.mint()) for _ in range(10)))
    assert [type(o).__name__ for o in outcomes] == ["Caller"] * 10
    assert jwks_server.hits == 2, "the ten callers shared one fetch"


async def test_junk_kids_cannot_make_a_verifier_hammer_identity(jwks_server, http, signing_key):
    """Fetches for unknown kids are spaced; a kid just found missing is refused without a fetch."""
    jwks_server.keys = [jwk(signing_key)]
    keys = JwksKeySource(jwks_server.url, http, min_interval_s=0.2, unknown_kid_ttl_s=5)
    await keys.refresh()
    verifier = jwks_verifier(keys)
    started = time.monotonic()
    for _ in range(8):
        outcomes = await asyncio.gather(*(verifier.verify(SigningKey().mint()) for _ in range(25)))
        assert set(outcomes) == {AuthFailure.UNKNOWN_KEY}
    elapsed = time.monotonic() - started
    assert jwks_server.hits <= 2 + elapsed / 0.2, (jwks_server.hits, elapsed)
    repeated = SigningKey()
    assert await verifier.verify(repeated.mint()) is AuthFailure.UNKNOWN_KEY
    hits = jwks_server.hits
    again = time.monotonic()
    assert await verifier.verify(repeated.mint()) is AuthFailure.UNKNOWN_KEY
    assert jwks_server.hits == hits, "a kid missing from the last fetch is not fetched for again"
    assert time.monotonic() - again < 0.1, "and is refused without waiting for the next fetch"
    assert isinstance(await verifier.verify(signing_key.mint()), Caller), "known keys are unaffected"


async def test_a_key_removed_from_the_jwks_stops_verifying_even_cached_tokens(jwks_server, http):
    retired, current = SigningKey(), SigningKey()
    jwks_server.keys = [jwk(current), jwk(retired)]
    keys = JwksKeySource(jwks_server.url, http, min_interval_s=0.01, unknown_kid_ttl_s=5)
    await keys.refresh()
    verifier = jwks_verifier(keys)
    old_token, new_token = retired.mint(), current.mint()
    assert isinstance(await verifier.verify(old_token), Caller)
    assert isinstance(await verifier.verify(new_token), Caller)
    assert verifier.cached(old_token) is not None
    jwks_server.keys = [jwk(current)]
    assert await keys.refresh() is True
    assert verifier.cached(old_token) is None
    assert await verifier.verify(old_token) is AuthFailure.UNKNOWN_KEY
    assert verifier.cached(new_token) is not None, "tokens of the keys still published stay cached"


def _signed_with_claims(key: SigningKey, **claims: Any) -> str:
    """A token whose claims are written as given (PyJWT would reject a non-numeric exp when encoding)."""
    header = _encode_json({"alg": "EdDSA", "typ": "JWT", "kid": key.kid})
    payload = _encode_json(key.claims(**claims))
    signature = key.private.sign(f"{header}.{payload}".encode())
    return f"{header}.{payload}.{_b64(signature)}"


TIME_CLAIM_FORMS = [
    pytest.param({"exp": str(_now() + 600)}, id="string-exp"),
    pytest.param({"nbf": str(_now() - 10)}, id="string-nbf"),
    pytest.param({"iat": str(_now() - 10)}, id="string-iat"),
    pytest.param({"exp": True}, id="boolean-exp"),
    pytest.param({"exp": 1e20}, id="exp-1e20"),
    pytest.param({"exp": _now() + 86_400 * 365}, id="a-year-long"),
    pytest.param({"exp": float("inf")}, id="infinite-exp"),
    pytest.param({"exp": float("nan")}, id="nan-exp"),
    pytest.param({"iat": None, "exp": _now() + 600}, id="no-iat"),
]


@pytest.mark.parametrize("changes", TIME_CLAIM_FORMS)
async def test_time_claims_must_be_numbers_within_the_maximum_lifetime(signing_key: SigningKey, changes):
    token = _signed_with_claims(signing_key, **changes)
    assert await verifier_for(signing_key).verify(token) is AuthFailure.INVALID


async def test_a_token_may_live_exactly_the_maximum_lifetime(signing_key: SigningKey):
    now = _now()
    longest = signing_key.mint(iat=now, nbf=now, exp=now + MAX_LIFETIME_S)
    assert isinstance(await verifier_for(signing_key).verify(longest), Caller)
    one_more = signing_key.mint(iat=now, nbf=now, exp=now + MAX_LIFETIME_S + 1)
    assert await verifier_for(signing_key).verify(one_more) is AuthFailure.INVALID
