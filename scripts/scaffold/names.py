"""Names the scaffolder derives from a service name and an ``area/action`` slice path.

House style (docs/CONVENTIONS.md): the folder is ``<area>/<action>``, the action ``<verb>_<noun...>``
in snake_case with the verb from the list the standards check keeps (``SLICE_VERBS`` in
tests/standards/fleet_standards/health.py, the one place it is written); the names in the code
say the use case, because Python imports drop the folder context (``UpdatePassword``,
``update_password``, ``INSERT_...``).
"""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "standards"))
from fleet_standards.health import slice_name_problem  # the check owns the verb list

__all__ = ["ScaffoldError", "SliceNames", "pascal", "slice_names", "validate_service_name"]

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
#: Names the generated modules import or define themselves; an action may not shadow them.
_RESERVED_ACTIONS: frozenset[str] = frozenset(
    {
        "asyncpg",
        "msgspec",
        "datetime",
        "new_id",
        "utcnow",
        "plugin",
        "command",
        "handler",
        "queries",
        "router",
        "schema",
        "features",
        "app",
        "settings",
    }
)
#: Postgres truncates identifiers past 63 bytes; refuse rather than generate a name it would change.
_PG_IDENTIFIER_MAX = 63


class ScaffoldError(Exception):
    """A request the scaffolder refuses; the message says why and what to do instead."""


def pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def _check_snake(kind: str, value: str) -> None:
    if not _SNAKE.match(value) or keyword.iskeyword(value):
        msg = f"{kind} {value!r} must be snake_case: lower-case letters, digits and single underscores"
        raise ScaffoldError(msg)


def validate_service_name(name: str) -> None:
    """A new service's name is its package, its env-var prefix and its chart alias."""
    _check_snake("service name", name)
    if len(name) > 30:
        msg = f"service name {name!r} is longer than 30 characters"
        raise ScaffoldError(msg)
    if name in sys.stdlib_module_names or name in {"fleetkit", "fleet", "tests", "scripts"}:
        msg = f"service name {name!r} would shadow a standard-library or fleet module"
        raise ScaffoldError(msg)


@dataclass(frozen=True, slots=True)
class SliceNames:
    """Every name one slice's files use, derived once (``{{key}}`` in the templates)."""

    service: str
    area: str
    action: str

    @property
    def action_pascal(self) -> str:
        return pascal(self.action)

    @property
    def table(self) -> str:
        return f"{self.area}_{self.action}_requests"

    @property
    def route(self) -> str:
        return f"/v1/{self.area.replace('_', '-')}/{self.action.replace('_', '-')}"

    @property
    def human(self) -> str:
        words = self.action.replace("_", " ")
        return words[:1].upper() + words[1:]

    def template_values(self) -> dict[str, str]:
        return {
            "svc": self.service,
            "area": self.area,
            "action": self.action,
            "Action": self.action_pascal,
            "INSERT_CONST": f"INSERT_{self.action.upper()}_REQUEST",
            "table": self.table,
            "route": self.route,
            "Human": self.human,
        }


def slice_names(service: str, slice_path: str) -> SliceNames:
    area, sep, action = slice_path.strip("/").partition("/")
    if not sep or "/" in action:
        msg = f"SLICE={slice_path!r}: expected <area>/<action>, e.g. account/update_password"
        raise ScaffoldError(msg)
    _check_snake("area", area)
    _check_snake("action", action)
    problem = slice_name_problem(action)
    if problem is not None:
        msg = f"{problem} (the verb list is SLICE_VERBS in tests/standards/fleet_standards/health.py)"
        raise ScaffoldError(msg)
    if action in _RESERVED_ACTIONS or action == service:
        msg = f"action {action!r} would shadow a name the slice's own modules use; pick a verb phrase"
        raise ScaffoldError(msg)
    names = SliceNames(service, area, action)
    if len(names.table) > _PG_IDENTIFIER_MAX:
        msg = f"table name {names.table!r} is longer than {_PG_IDENTIFIER_MAX} characters; shorten the slice path"
        raise ScaffoldError(msg)
    return names
