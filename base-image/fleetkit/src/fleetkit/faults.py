"""Faults: exceptions that mean the service cannot answer now, which the kit maps to 503.

Kept free of Litestar so handlers and service modules can raise them without importing HTTP code
(the import contracts forbid handlers reaching Litestar even indirectly). Expected outcomes are
values, never these.
"""

from __future__ import annotations

__all__ = ["CapacityExhausted", "DependencyUnavailable"]


class DependencyUnavailable(Exception):
    """Raised by kit helpers when a dependency (database, peer service) cannot answer."""


class CapacityExhausted(DependencyUnavailable):
    """The worker has no room for this request's bounded work (every place taken, the line full
    or its wait over): the request is shed with 503 and Retry-After, and nothing was done."""
