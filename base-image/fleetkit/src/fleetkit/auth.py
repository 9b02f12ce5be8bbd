"""Bearer authentication: EdDSA JWTs verified locally against keys from identity's JWKS.

Verification is the expensive part of a request (an Ed25519 check is tens of microseconds), so
a verified token is remembered until it expires, in a bounded map owned by the worker. Keys come
from a :class:`KeySource`: identity uses its own signing keys; every other service fetches the
JWKS, refreshes it periodically, refreshes early on an unknown ``kid`` (at most once per
``AUTH_JWKS_MIN_REFRESH_S``), and keeps serving with the keys it has when identity is down.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

import aiohttp
import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from fleetkit.logging import get_logger

__all__ = [
    "AuthFailure",
    "Caller",
    "JwksKeySource",
    "KeySource",
    "StaticKeySource",
    "TokenVerifier",
]

log = get_logger("fleetkit.auth")
MAX_TOKEN_BYTES = 4096
ALGORITHMS: tuple[str, ...] = ("EdDSA",)
REQUIRED_CLAIMS: tuple[str, ...] = ("exp", "iat", "nbf", "sub", "iss", "aud", "jti")


class Caller(msgspec.Struct, frozen=True):
    """Who is calling: taken from a verified access token, never from a request body."""

    user_id: UUID
    token_id: str
    expires_at: float


class AuthFailure(StrEnum):
    MISSING = "missing"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    INVALID = "invalid"
    KEYS_UNAVAILABLE = "keys_unavailable"


class KeySource(Protocol):
    def get(self, kid: str) -> Ed25519PublicKey | None: ...

    @property
    def loaded(self) -> bool: ...

    async def refresh_for_unknown_kid(self) -> bool: ...


class StaticKeySource:
    """Keys known at start (identity verifying the tokens it signs itself)."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Mapping[str, Ed25519PublicKey]) -> None:
        self._keys = dict(keys)

    def get(self, kid: str) -> Ed25519PublicKey | None:
        return self._keys.get(kid)

    @property
    def loaded(self) -> bool:
        return bool(self._keys)

    async def refresh_for_unknown_kid(self) -> bool:
        return False


class _Jwk(msgspec.Struct):
    kty: str
    kid: str = ""
    crv: str = ""
    x: str = ""
    alg: str = ""
    use: str = "sig"


class _Jwks(msgspec.Struct):
    keys: list[_Jwk]


def parse_jwks(body: bytes) -> dict[str, Ed25519PublicKey]:
    """Ed25519 signing keys by kid; other key types are ignored."""
    document = msgspec.json.decode(body, type=_Jwks)
    keys: dict[str, Ed25519PublicKey] = {}
    for jwk in document.keys:
        if jwk.kty == "OKP" and jwk.crv == "Ed25519" and jwk.kid and jwk.use == "sig":
            key = OKPAlgorithm.from_jwk(msgspec.json.encode(jwk).decode())
            if isinstance(key, Ed25519PublicKey):
                keys[jwk.kid] = key
    return keys


class JwksKeySource:
    """Keys fetched from identity's JWKS and cached for the life of the worker."""

    __slots__ = (
        "_fetched_at",
        "_http",
        "_keys",
        "_last_attempt",
        "_min_interval",
        "_on_refresh",
        "_url",
    )

    def __init__(
        self,
        url: str,
        http: aiohttp.ClientSession,
        *,
        min_interval_s: float,
        on_refresh: Callable[[str], None] | None = None,
    ) -> None:
        self._url = url
        self._http = http
        self._min_interval = min_interval_s
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._last_attempt = float("-inf")
        self._fetched_at = float("-inf")
        self._on_refresh = on_refresh

    def get(self, kid: str) -> Ed25519PublicKey | None:
        return self._keys.get(kid)

    @property
    def loaded(self) -> bool:
        return bool(self._keys)

    async def refresh(self) -> bool:
        """Fetch the JWKS; on any failure keep the keys already held."""
        self._last_attempt = time.monotonic()
        outcome = "error"
        try:
            async with self._http.get(self._url) as response:
                if response.status == 200:
                    keys = parse_jwks(await response.read())
                    if keys:
                        self._keys = keys
                        self._fetched_at = time.monotonic()
                        outcome = "ok"
                else:
                    outcome = f"http_{response.status}"
        except (aiohttp.ClientError, TimeoutError, msgspec.DecodeError, ValueError, jwt.PyJWTError) as exc:
            log.warning(
                "jwks_refresh_failed",
                url=self._url,
                error=type(exc).__name__,
                cached=len(self._keys),
            )
        if self._on_refresh is not None:
            self._on_refresh(outcome)
        return outcome == "ok"

    async def refresh_for_unknown_kid(self) -> bool:
        # With no keys at all (identity was down when this worker started) retry within a second
        # instead of the usual interval, still bounded so a request flood cannot hammer identity.
        interval = self._min_interval if self._keys else min(self._min_interval, 1.0)
        if time.monotonic() - self._last_attempt < interval:
            return False
        return await self.refresh()


class TokenVerifier:
    """Verifies access tokens, remembering each verified one until it expires."""

    __slots__ = ("_audience", "_cache", "_cache_size", "_issuer", "_keys", "_leeway")

    def __init__(self, keys: KeySource, *, issuer: str, audience: str, leeway_s: float, cache_size: int) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_s
        self._cache_size = cache_size
        self._cache: dict[str, Caller] = {}

    def cached(self, token: str) -> Caller | None:
        """The caller of a token verified earlier and not expired: a dict hit, no coroutine.

        The kit middleware asks this first on every request and awaits :meth:`verify` only for
        tokens it has not seen (or that expired), which a steady client sends once per token.
        """
        caller = self._cache.get(token)
        if caller is not None and caller.expires_at + self._leeway > time.time():
            return caller
        return None

    async def verify(self, token: str) -> Caller | AuthFailure:
        cached = self._cache.get(token)
        if cached is not None:
            if cached.expires_at + self._leeway > time.time():
                return cached
            del self._cache[token]
        if len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
            return AuthFailure.MALFORMED
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            return AuthFailure.MALFORMED
        kid = header.get("kid")
        if not isinstance(kid, str) or header.get("alg") not in ALGORITHMS:
            return AuthFailure.INVALID
        key = self._keys.get(kid)
        if key is None and await self._keys.refresh_for_unknown_kid():
            key = self._keys.get(kid)
        if key is None:
            return AuthFailure.UNKNOWN_KEY if self._keys.loaded else AuthFailure.KEYS_UNAVAILABLE
        caller = self._decode(token, key)
        if isinstance(caller, Caller) and self._cache_size:
            self._remember(token, caller)
        return caller

    def _decode(self, token: str, key: Ed25519PublicKey) -> Caller | AuthFailure:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.InvalidTokenError:
            return AuthFailure.INVALID
        if claims.get("typ") != "access":
            return AuthFailure.INVALID
        try:
            user_id = UUID(str(claims["sub"]))
        except ValueError:
            return AuthFailure.INVALID
        return Caller(user_id=user_id, token_id=str(claims["jti"]), expires_at=float(claims["exp"]))

    def _remember(self, token: str, caller: Caller) -> None:
        if len(self._cache) >= self._cache_size:
            now = time.time()
            expired = [t for t, c in self._cache.items() if c.expires_at <= now]
            for stale in expired:
                del self._cache[stale]
            if len(self._cache) >= self._cache_size:
                del self._cache[next(iter(self._cache))]
        self._cache[token] = caller
