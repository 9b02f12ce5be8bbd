"""Identity's signing keys and the access tokens it signs (shared by the session slices).

Keys are Ed25519 PEM files in ``IDENTITY_SIGNING_KEYS_DIR`` (a Kubernetes Secret in production):
``current.pem`` signs; ``previous.pem``, when present, is still published so tokens signed
before a rotation verify until they expire. Rotation: move current to previous, write a new
current, roll the pods.
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

__all__ = ["AccessToken", "KeyRing", "generate_keys", "hash_refresh_token", "new_refresh_token"]

KEY_FILES: tuple[str, ...] = ("current.pem", "previous.pem")


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
        keys = []
        for name in KEY_FILES:
            path = folder / name
            if path.exists():
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
                if not isinstance(key, Ed25519PrivateKey):
                    msg = f"{path} is not an Ed25519 private key"
                    raise ValueError(msg)
                keys.append(key)
        if not keys or not (folder / KEY_FILES[0]).exists():
            msg = f"{folder / KEY_FILES[0]} is missing"
            raise ValueError(msg)
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


def generate_keys(folder: Path) -> Path:
    """Write a fresh ``current.pem`` (rotating an existing one to ``previous.pem``)."""
    folder.mkdir(parents=True, exist_ok=True)
    current = folder / KEY_FILES[0]
    if current.exists():
        current.replace(folder / KEY_FILES[1])
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    current.write_bytes(pem)
    current.chmod(0o600)
    return current
