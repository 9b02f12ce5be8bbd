"""Bearer authentication: EdDSA JWTs verified locally against keys from identity's JWKS.

Verification is the expensive part of a request (an Ed25519 check is tens of microseconds), so
a verified token is remembered until it expires, in a bounded map owned by the worker, and
forgotten as soon as its key leaves the key set. Keys come from a :class:`KeySource`: identity
uses its own signing keys; every other service holds a :class:`~fleetkit.jwks.JwksKeySource`
(shared, spaced fetches; see that module). Time claims must be JSON numbers, and a token may
live at most ``AUTH_MAX_TOKEN_LIFETIME_S`` (``exp - iat``): a stolen token cannot be minted
forever-valid even by a signer that got its clock or settings wrong.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwt.types import Options

from fleetkit.jwks import JwksKeySource

__all__ = [
    "AuthFailure",
    "Caller",
    "JwksKeySource",
    "KeySource",
    "StaticKeySource",
    "TokenVerifier",
]

MAX_TOKEN_BYTES = 4096
ALGORITHMS: tuple[str, ...] = ("EdDSA",)
REQUIRED_CLAIMS: tuple[str, ...] = ("exp", "iat", "nbf", "sub", "iss", "aud", "jti")


def _decode_options() -> Options:
    return {"require": list(REQUIRED_CLAIMS), "verify_exp": False, "verify_nbf": False, "verify_iat": False}


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

    @property
    def revision(self) -> int:
        """Changes whenever a key is removed or replaced, so cached tokens are checked again."""
        ...

    async def refresh_for_unknown_kid(self, kid: str) -> bool: ...


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

    @property
    def revision(self) -> int:
        return 0

    async def refresh_for_unknown_kid(self, kid: str) -> bool:
        return False


class TokenVerifier:
    """Verifies access tokens, remembering each verified one until it expires or its key goes."""

    __slots__ = (
        "_audience",
        "_cache",
        "_cache_size",
        "_issuer",
        "_keys",
        "_leeway",
        "_max_lifetime",
        "_revision",
    )

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway_s: float,
        cache_size: int,
        max_lifetime_s: float,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_s
        self._cache_size = cache_size
        self._max_lifetime = max_lifetime_s
        self._cache: dict[str, tuple[Caller, str, Ed25519PublicKey]] = {}
        self._revision = keys.revision

    def cached(self, token: str) -> Caller | None:
        """The caller of a token verified earlier, not expired, its key still held: no coroutine.

        The kit middleware asks this first on every request and awaits :meth:`verify` only for
        tokens it has not seen (or that expired), which a steady client sends once per token.
        """
        if self._revision != self._keys.revision:
            self._forget_removed_keys()
        entry = self._cache.get(token)
        if entry is not None and entry[0].expires_at + self._leeway > time.time():
            return entry[0]
        return None

    async def verify(self, token: str) -> Caller | AuthFailure:
        cached = self.cached(token)
        if cached is not None:
            return cached
        self._cache.pop(token, None)
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
        if key is None and await self._keys.refresh_for_unknown_kid(kid):
            key = self._keys.get(kid)
        if key is None:
            return AuthFailure.UNKNOWN_KEY if self._keys.loaded else AuthFailure.KEYS_UNAVAILABLE
        caller = self._decode(token, key)
        if isinstance(caller, Caller) and self._cache_size:
            self._remember(token, (caller, kid, key))
        return caller

    def _decode(self, token: str, key: Ed25519PublicKey) -> Caller | AuthFailure:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self._audience,
                issuer=self._issuer,
                # The time claims are checked by the kit (_times_hold), not PyJWT, which accepts
                # numeric strings ("exp": "9999999999").
                options=_decode_options(),
            )
        except jwt.InvalidTokenError:
            return AuthFailure.INVALID
        if claims.get("typ") != "access" or not self._times_hold(claims):
            return AuthFailure.INVALID
        try:
            user_id = UUID(str(claims["sub"]))
        except ValueError:
            return AuthFailure.INVALID
        return Caller(user_id=user_id, token_id=str(claims["jti"]), expires_at=float(claims["exp"]))

    def _times_hold(self, claims: dict[str, Any]) -> bool:
        """Numbers (not strings, booleans, NaN), current within the leeway, no longer-lived than allowed."""
        times = (claims["exp"], claims["nbf"], claims["iat"])
        if any(type(v) not in (int, float) or not math.isfinite(v) for v in times):
            return False
        exp, nbf, iat = (float(v) for v in times)
        now, leeway = time.time(), self._leeway
        return exp > now - leeway and nbf <= now + leeway and iat <= now + leeway and exp - iat <= self._max_lifetime

    def _remember(self, token: str, entry: tuple[Caller, str, Ed25519PublicKey]) -> None:
        if len(self._cache) >= self._cache_size:
            now = time.time()
            expired = [t for t, (c, _, _) in self._cache.items() if c.expires_at <= now]
            for stale in expired:
                del self._cache[stale]
            if len(self._cache) >= self._cache_size:
                del self._cache[next(iter(self._cache))]
        self._cache[token] = entry

    def _forget_removed_keys(self) -> None:
        """A key left the key set (or changed): the tokens it signed stop verifying, cached ones included."""
        self._revision = self._keys.revision
        gone = [t for t, (_, kid, key) in self._cache.items() if self._keys.get(kid) is not key]
        for token in gone:
            del self._cache[token]
