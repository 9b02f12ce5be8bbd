"""Who may call a route and how it is rate limited: one typed value, declared on the route.

A route declares its policy in Litestar's ``opt`` and nowhere else::

    @post("/v1/sessions", opt=CREDENTIALS.opt())

A route that declares nothing is ``AUTHENTICATED``: a bearer token is required and the caller's
own budget of the default rate class is charged. The kit middleware reads the policy of each
route once; the app factory refuses to build an app whose routes still carry the untyped keys
(``public``, ``rate_limit``) or put anything but a ``RoutePolicy`` under the policy key, naming
the route, so a route cannot be half converted.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping

import msgspec

__all__ = [
    "AUTHENTICATED",
    "CREDENTIALS",
    "POLICY_KEY",
    "PROBE",
    "PUBLIC",
    "Access",
    "RateClass",
    "RoutePolicy",
    "RoutePolicyError",
    "policy_of",
    "route_label",
]

#: The ``opt`` key a route's ``RoutePolicy`` lives under.
POLICY_KEY = "fleetkit.policy"
#: The keys routes used before policies were typed: present on a route, they fail the app's build.
LEGACY_KEYS: frozenset[str] = frozenset({"public", "rate_limit"})


class Access(enum.Enum):
    #: No token required; a valid token, when sent, is still verified and attached.
    PUBLIC = "public"
    #: A valid bearer access token is required (401 otherwise).
    AUTHENTICATED = "authenticated"


class RateClass(enum.Enum):
    #: Not limited and not admission-gated: the kit's probes and ``/metrics`` only.
    OFF = "off"
    #: The caller's budget (the user's with a valid token, else the client address's).
    DEFAULT = "default"
    #: The client address's small budget: credential routes (register, log in, refresh).
    STRICT = "strict"


class RoutePolicy(msgspec.Struct, frozen=True):
    access: Access
    rate: RateClass

    @property
    def public(self) -> bool:
        return self.access is Access.PUBLIC

    def opt(self) -> dict[str, RoutePolicy]:
        """The route's ``opt`` declaring this policy."""
        return {POLICY_KEY: self}


AUTHENTICATED = RoutePolicy(Access.AUTHENTICATED, RateClass.DEFAULT)
PUBLIC = RoutePolicy(Access.PUBLIC, RateClass.DEFAULT)
CREDENTIALS = RoutePolicy(Access.PUBLIC, RateClass.STRICT)
PROBE = RoutePolicy(Access.PUBLIC, RateClass.OFF)


class RoutePolicyError(ValueError):
    """A route's ``opt`` does not resolve to a policy: a programming error, found at build time."""


def policy_of(opt: Mapping[str, object], route: str) -> RoutePolicy:
    """The policy a route's ``opt`` declares (``AUTHENTICATED`` when none); ``route`` names it in errors."""
    legacy = sorted(LEGACY_KEYS & opt.keys())
    if legacy:
        msg = (
            f"route {route}: opt keys {legacy} are not read any more;"
            " declare the route's policy with fleetkit.policy (e.g. opt=PUBLIC.opt())"
        )
        raise RoutePolicyError(msg)
    policy = opt.get(POLICY_KEY, AUTHENTICATED)
    if not isinstance(policy, RoutePolicy):
        msg = f"route {route}: opt[{POLICY_KEY!r}] must be a fleetkit.policy.RoutePolicy, got {policy!r}"
        raise RoutePolicyError(msg)
    return policy


def route_label(methods: Iterable[str], paths: Iterable[str], fn: Callable[..., object]) -> str:
    """``GET /v1/things (module.function)``: how policy errors name a route."""
    where = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"
    return f"{','.join(sorted(methods))} {','.join(sorted(paths))} ({where})"
