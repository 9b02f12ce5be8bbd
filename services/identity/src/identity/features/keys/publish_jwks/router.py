from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from fleetkit.app import Slice
from fleetkit.policy import PUBLIC
from fleetkit.responses import Response
from identity.features.keys.publish_jwks.command import PublishJwks
from identity.features.keys.publish_jwks.handler import publish_jwks
from identity.features.keys.publish_jwks.schema import JwkResponse, JwksResponse
from identity.tokens import KeyRing

CACHE_CONTROL = "public, max-age=300"


@get(
    "/.well-known/jwks.json",
    opt=PUBLIC.opt(),
    tags=["keys"],
    summary="Public keys that verify access tokens (RFC 7517).",
    media_type="application/jwk-set+json",
    sync_to_thread=False,
)
def jwks(keyring: NamedDependency[KeyRing]) -> Response[JwksResponse]:
    keys = [
        JwkResponse(kty="OKP", crv="Ed25519", x=key.x, kid=key.kid, alg="EdDSA", use="sig")
        for key in publish_jwks(PublishJwks(), keyring=keyring)
    ]
    return Response(JwksResponse(keys=keys), headers={"Cache-Control": CACHE_CONTROL})


plugin = Slice(jwks)
