"""Every exception to a standards check, by kit module, each with its reason.

Keep these small. An entry names a kit module (dotted); a check skips exactly the rule it is
listed under, nothing else. Services never get entries: a service that needs one has a design
problem to raise in review instead.
"""

from __future__ import annotations

from types import MappingProxyType

#: Modules that may create pools, one-off connections and HTTP client sessions.
POOL_FACTORIES: MappingProxyType[str, str] = MappingProxyType(
    {
        "fleetkit.db": "defines KitPool (the kit's pool: it opens its asyncpg connections) and open_pool().",
        "fleetkit.lifespan": "the lifespan: the one place that opens the pool and the HTTP session.",
        "fleetkit.otlp": "the span exporter's own HTTP session, opened and closed with it by the lifespan; "
        "its posts must stay untraced and must not take the service's peer connections.",
        "fleetkit.cli": "the migrations command: one connection, held for the advisory lock.",
        "fleetkit.testing": "test support: creates and drops throwaway databases; no service imports it.",
    }
)

#: Modules that may catch ``Exception``/``BaseException``: none. Unhandled faults reach Litestar's
#: exception handlers (fleetkit.problems, by type, not by ``except``); background tasks report
#: theirs through a done-callback.
BROAD_EXCEPT: MappingProxyType[str, str] = MappingProxyType({})

#: Modules other than a ``queries.py`` that may hold SQL text.
SQL_OUTSIDE_QUERIES: MappingProxyType[str, str] = MappingProxyType({})

#: Modules that may use the stdlib ``json`` (or another JSON codec) instead of msgspec.json.
JSON_CODECS: MappingProxyType[str, str] = MappingProxyType({})

#: Modules that may define module-level mutable containers.
MODULE_STATE: MappingProxyType[str, str] = MappingProxyType({})

#: Public kit functions (``module:function``) whose return annotation may mention ``Any``.
ANY_RETURNS: MappingProxyType[str, str] = MappingProxyType(
    {
        "fleetkit.problems:problem": "Response[Any]: a problem is what a router returns for an expected failure, "
        "whatever the route's success type (the one its OpenAPI document shows).",
        "fleetkit.idempotency:idempotent": "Response[Any]: it replays the response of the route it wraps, "
        "whatever that route answers.",
    }
)

#: Every allow-list by the rule it relaxes (for the stale-entry test and docs/standards.md).
ALL: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {
        "pool-outside-lifespan": POOL_FACTORIES,
        "broad-except": BROAD_EXCEPT,
        "sql-outside-queries": SQL_OUTSIDE_QUERIES,
        "json-not-msgspec": JSON_CODECS,
        "module-mutable-state": MODULE_STATE,
    }
)
