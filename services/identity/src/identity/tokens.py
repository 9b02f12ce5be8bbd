"""Identity's signing keys and the access tokens it signs (shared by the session slices).

Keys are Ed25519 PKCS#8 PEM files in ``IDENTITY_SIGNING_KEYS_DIR`` (a Kubernetes Secret in
production), read once at start:

- ``current.pem`` signs every access token;
- ``next.pem`` is published but signs nothing yet: it is the key the next rotation promotes, so
  every verifier (and every identity replica, old or new) holds it before the first token it signs;
- ``previous.pem``, present after a rotation, is still published so tokens signed before it verify
  until they expire.

The JWKS lists current, next, previous. A rotation (``python -m identity rotate-keys DIR``) moves
current to previous and next to current, and writes a new next; the key that was previous is no
longer published, so the tokens it signed stop verifying everywhere. See docs/deploy.md.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path
from uuid import UUID

import jwt
import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fleetkit.ids import new_id

__all__ = [
    "AccessToken",
    "KeyRing",
    "generate_keys",
    "hash_refresh_token",
    "new_refresh_token",
    "rotate_keys",
]

CURRENT, NEXT, PREVIOUS = "current.pem", "next.pem", "previous.pem"
#: Published in this order: the signing key first.
KEY_FILES: tuple[str, ...] = (CURRENT, NEXT, PREVIOUS)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def thumbprint(key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint, used as the key id."""
    canonical = f'{{"crv":"Ed25519","kty":"OKP","x":"{_b64(_raw_public(key))}"}}'
    return _b64(hashlib.sha256(canonical.encode()).digest())


class AccessToken(msgspec.Struct, frozen=True):
    token: str
    expires_in: int


class KeyRing:
    """The signing key and every published public key (current, next, previous), by kid."""

    __slots__ = ("audience", "issuer", "public", "public_x", "signing_key", "signing_kid", "ttl_s")

    def __init__(self, keys: list[Ed25519PrivateKey], *, issuer: str, audience: str, ttl_s: int) -> None:
        self.signing_key = keys[0]
        self.signing_kid = thumbprint(keys[0].public_key())
        self.public = {thumbprint(k.public_key()): k.public_key() for k in keys}
        self.issuer = issuer
        self.audience = audience
        self.ttl_s = ttl_s
        self.public_x: tuple[tuple[str, str], ...] = tuple(
            (kid, _b64(_raw_public(k))) for kid, k in self.public.items()
        )

    @classmethod
    def from_folder(cls, folder: Path, *, issuer: str, audience: str, ttl_s: int) -> KeyRing:
        """Load the keys at start-up (before the event loop serves requests)."""
        if not (folder / CURRENT).exists():
            msg = f"{folder / CURRENT} is missing"
            raise ValueError(msg)
        keys = [_load(folder / name) for name in KEY_FILES if (folder / name).exists()]
        return cls(keys, issuer=issuer, audience=audience, ttl_s=ttl_s)

    def sign_access_token(self, user_id: UUID, now: float) -> AccessToken:
        issued = int(now)
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "iat": issued,
            "nbf": issued,
            "exp": issued + self.ttl_s,
            "jti": str(new_id()),
            "typ": "access",
        }
        token = jwt.encode(claims, self.signing_key, algorithm="EdDSA", headers={"kid": self.signing_kid})
        return AccessToken(token=token, expires_in=self.ttl_s)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _load(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        msg = f"{path} is not an Ed25519 private key"
        raise ValueError(msg)  # noqa: TRY004 - start-up reports ValueError as a configuration error
    return key


def _new_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, pem: bytes) -> None:
    """Replace ``path`` whole (a temporary file renamed over it), readable by its owner only."""
    staged = path.with_name(f".{path.name}.tmp")
    staged.write_bytes(pem)
    staged.chmod(0o600)
    staged.replace(path)


def generate_keys(folder: Path) -> list[Path]:
    """Write whichever of ``current.pem`` and ``next.pem`` is missing; never change an existing key."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in (CURRENT, NEXT):
        path = folder / name
        if not path.exists():
            _write(path, _new_pem())
            written.append(path)
    return written


def rotate_keys(folder: Path) -> str | None:
    """Promote next to current and current to previous, and write a new next.

    The key that was previous is dropped: tokens it signed stop verifying once identity's replicas
    restart with the new files and the verifiers refresh. Refused (a message, nothing changed)
    without both current.pem and next.pem: a key that was never published must not start signing.
    A rotation interrupted after promoting next (current equal to next) only writes the new next.
    """
    current, following = folder / CURRENT, folder / NEXT
    if not current.exists() or not following.exists():
        return f"{folder} needs current.pem and next.pem: run keygen, roll identity out, then rotate"
    for path in (current, following):
        _load(path)
    current_pem, next_pem = current.read_bytes(), following.read_bytes()
    if current_pem != next_pem:
        _write(folder / PREVIOUS, current_pem)
        _write(current, next_pem)
    _write(following, _new_pem())
    return None
