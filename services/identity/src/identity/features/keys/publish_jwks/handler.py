from __future__ import annotations

import msgspec

from identity.features.keys.publish_jwks.command import PublishJwks
from identity.tokens import KeyRing


class PublicKey(msgspec.Struct, frozen=True):
    kid: str
    x: str


def publish_jwks(cmd: PublishJwks, *, keyring: KeyRing) -> list[PublicKey]:
    """The public signing keys: current (signing) first, then next (signs after the next rotation), then previous."""
    return [PublicKey(kid=kid, x=x) for kid, x in keyring.public_x]
