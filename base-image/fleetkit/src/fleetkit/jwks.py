"""identity's public keys as a verifier sees them: fetched from the JWKS, shared, spaced, bounded.

A key rotation must give no 401 for a valid token. identity publishes its ``next`` key long
before it signs with it, so a verifier normally holds a key before the first token it signs
arrives; when one still comes first (a verifier started between two routine refreshes), every
request carrying it waits for the same fetch instead of being refused:

- one fetch at a time per worker, shared by every caller that needs it (single flight);
- fetches are spaced at least ``min_interval_s`` apart: a caller inside the spacing waits for the
  next fetch (at most that long) rather than being refused, and however many junk kids arrive,
  identity sees at most one fetch per spacing per worker;
- a kid missing from a fresh document is refused without another fetch for ``unknown_kid_ttl_s``
  (a small bounded map), so a repeated junk kid costs neither a fetch nor a wait.

A fetched document replaces the keys held, so a key identity stops publishing stops verifying
(the verifier drops its cached tokens too). On any failure the keys already held are kept.

Until a first fetch succeeds, failures are the ordinary start-up order (identity is not
answering yet): one info line says the worker waits for identity, and it stays quiet until
the keys arrive. Once keys were fetched, a failed refresh is a warning.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import aiohttp
import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from fleetkit.logging import get_logger

__all__ = ["JwksKeySource", "parse_jwks"]

log = get_logger("fleetkit.jwks")
#: Kids remembered as missing at once; past it the oldest are forgotten (a junk-kid flood).
MAX_MISSING_KIDS = 1024


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
    """Keys fetched from identity's JWKS, held by one worker and refreshed as described above."""

    __slots__ = (
        "_http",
        "_inflight",
        "_keys",
        "_last_attempt",
        "_min_interval",
        "_missing",
        "_missing_ttl",
        "_on_refresh",
        "_revision",
        "_url",
        "_waiting_logged",
    )

    def __init__(
        self,
        url: str,
        http: aiohttp.ClientSession,
        *,
        min_interval_s: float,
        unknown_kid_ttl_s: float,
        on_refresh: Callable[[str], None] | None = None,
    ) -> None:
        self._url = url
        self._http = http
        self._min_interval = min_interval_s
        self._missing_ttl = unknown_kid_ttl_s
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._missing: dict[str, float] = {}
        self._last_attempt = float("-inf")
        self._inflight: asyncio.Task[bool] | None = None
        self._on_refresh = on_refresh
        self._revision = 0
        self._waiting_logged = False

    def get(self, kid: str) -> Ed25519PublicKey | None:
        return self._keys.get(kid)

    @property
    def loaded(self) -> bool:
        return bool(self._keys)

    @property
    def revision(self) -> int:
        return self._revision

    async def refresh(self) -> bool:
        """Fetch the JWKS now, or join the fetch already under way."""
        return await self._shared(delay=0.0)

    async def refresh_for_unknown_kid(self, kid: str) -> bool:
        """Wait for the next shared fetch unless ``kid`` was just found missing; True if it brought it."""
        now = time.monotonic()
        if self._missing.get(kid, now) > now:
            return False
        fetched = await self._shared(delay=max(0.0, self._last_attempt + self._min_interval - now))
        if kid in self._keys:
            return True
        if fetched:  # a failed fetch proves nothing about the kid
            self._remember_missing(kid)
        return False

    async def _shared(self, *, delay: float) -> bool:
        task = self._inflight
        if task is None:
            task = self._inflight = asyncio.get_running_loop().create_task(self._fetch_after(delay))
            task.add_done_callback(self._forget)
        # A caller that goes away (its client disconnected) must not cancel the others' fetch.
        return await asyncio.shield(task)

    def _forget(self, task: asyncio.Task[bool]) -> None:
        if self._inflight is task:
            self._inflight = None

    def _remember_missing(self, kid: str) -> None:
        self._missing.pop(kid, None)
        if len(self._missing) >= MAX_MISSING_KIDS:
            del self._missing[next(iter(self._missing))]
        self._missing[kid] = time.monotonic() + self._missing_ttl

    def _hold(self, fetched: dict[str, Ed25519PublicKey]) -> None:
        """Take the fetched key set; a key kept keeps its object, a key removed or changed bumps the revision."""
        held = self._keys
        keys = {
            kid: held[kid] if kid in held and held[kid].public_bytes_raw() == key.public_bytes_raw() else key
            for kid, key in fetched.items()
        }
        if any(keys.get(kid) is not key for kid, key in held.items()):
            self._revision += 1
        self._keys = keys
        self._missing = {kid: until for kid, until in self._missing.items() if kid not in keys}

    async def close(self) -> None:
        """Cancel a fetch still under way (worker shutdown)."""
        task = self._inflight
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _fetch_after(self, delay: float) -> bool:
        if delay > 0:
            await asyncio.sleep(delay)
        self._last_attempt = time.monotonic()
        outcome = "error"
        error = "empty key set"
        try:
            async with self._http.get(self._url) as response:
                if response.status == 200:
                    keys = parse_jwks(await response.read())
                    if keys:
                        self._hold(keys)
                        outcome = "ok"
                else:
                    outcome = error = f"http_{response.status}"
        except (aiohttp.ClientError, TimeoutError, msgspec.DecodeError, ValueError, jwt.PyJWTError) as exc:
            error = type(exc).__name__
        self._report(outcome, error)
        if self._on_refresh is not None:
            self._on_refresh(outcome)
        return outcome == "ok"

    def _report(self, outcome: str, error: str) -> None:
        if outcome == "ok":
            if self._waiting_logged:
                log.info("jwks_loaded", url=self._url, keys=len(self._keys))
                self._waiting_logged = False
        elif self._keys:
            log.warning("jwks_refresh_failed", url=self._url, error=error, cached=len(self._keys))
        elif not self._waiting_logged:
            log.info("jwks_waiting_for_identity", url=self._url, error=error)
            self._waiting_logged = True
