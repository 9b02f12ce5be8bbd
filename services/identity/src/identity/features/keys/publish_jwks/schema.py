from __future__ import annotations

import msgspec


class JwkResponse(msgspec.Struct):
    kty: str
    crv: str
    x: str
    kid: str
    alg: str
    use: str


class JwksResponse(msgspec.Struct):
    keys: list[JwkResponse]
