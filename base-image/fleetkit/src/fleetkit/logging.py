"""structlog JSON logs: one event name per line, trace ids attached, secrets and PII redacted.

Redaction runs last before rendering, so no call site can slip a secret past it: values under
keys that name secrets are masked whole, e-mail addresses keep only their domain, and anything
shaped like a JWT or a bearer credential is masked wherever it appears in a string.

Lines go to stdout through structlog's BytesLogger: one ``write`` of an already-encoded line per
event, which the container runtime's pipe absorbs without blocking the loop in practice.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import logging
import re
import sys
import uuid
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

import msgspec
import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor

__all__ = ["configure_logging", "get_logger", "is_secret_key", "redact"]

#: A key names a secret when it contains one of these (``Password``, ``x_api_key``, ``refresh_token``).
_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)|secret|token|authoriz|cookie|api_?key|private_?key|credential|dsn|database_url|pin$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"([A-Za-z0-9._%+-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
_DSN_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+@")
MASK = "[REDACTED]"
#: Values rendered as themselves: they cannot hide a secret the text rules would miss.
_PLAIN = (bool, int, float, type(None))
#: Values whose text is theirs alone (an id, a time), not something a caller put there.
_AS_TEXT = (uuid.UUID, datetime.datetime, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal)
#: How deep nested objects are walked; deeper values are replaced by their type's name.
_MAX_DEPTH = 6


def is_secret_key(key: object) -> bool:
    return bool(_SECRET_KEY.search(str(key)))


def _redact_text(text: str) -> str:
    text = _JWT.sub(MASK, text)
    text = _BEARER.sub(f"Bearer {MASK}", text)
    text = _DSN_PASSWORD.sub(rf"\1{MASK}@", text)
    return _EMAIL.sub(r"***@\2", text)


def _fields(value: object) -> dict[str, Any] | None:
    """An object's named fields (msgspec Struct, dataclass, slots or ``__dict__``), else None."""
    if isinstance(value, msgspec.Struct):
        return {f: getattr(value, f) for f in value.__struct_fields__}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    slots = [s for c in type(value).__mro__ for s in getattr(c, "__slots__", ()) if hasattr(value, s)]
    if slots:
        return {s: getattr(value, s) for s in slots if not s.startswith("_")}
    attrs = getattr(value, "__dict__", None)
    if isinstance(attrs, dict):
        return {k: v for k, v in attrs.items() if not k.startswith("_")}
    return None


def _redact_value(value: Any, depth: int = 0) -> Any:
    """Any value as JSON-ready data with secrets masked, whatever its type.

    Objects are logged by their fields, never by ``str()``/``repr()``: a command or a Struct
    carrying a password is walked like a dict, so its ``password`` field is masked; an object with
    no fields to walk is shown as its type's name only.
    """
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, enum.Enum):
        return _redact_value(value.value, depth)
    if isinstance(value, _AS_TEXT):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if depth >= _MAX_DEPTH:
        return f"<{type(value).__name__}>"
    if isinstance(value, Mapping):
        return {str(k): MASK if is_secret_key(k) else _redact_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(v, depth + 1) for v in value]
    fields = _fields(value)
    if fields is None:
        return f"<{type(value).__name__}>"
    return {"type": type(value).__name__} | _redact_value(fields, depth + 1)


def redact(_: object, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask secrets and PII in every key and value of the event."""
    for key, value in event_dict.items():
        if is_secret_key(key):
            event_dict[key] = MASK
        elif key == "email" and isinstance(value, str):
            event_dict[key] = _EMAIL.sub(r"***@\2", value) if "@" in value else MASK
        else:
            event_dict[key] = _redact_value(value)
    return event_dict


def _encode(event_dict: MutableMapping[str, Any], **_: Any) -> bytes:
    return msgspec.json.encode(event_dict, enc_hook=str)


def configure_logging(*, service: str, level: str, fmt: str, processors: Sequence[Processor] = ()) -> None:
    """Configure structlog (and route stdlib logging through it) once per process.

    ``processors`` add fields before redaction (the app passes ``fleetkit.telemetry.add_trace_ids``;
    this module imports no tracing, so neither do the modules that log).
    """
    numeric = logging.getLevelNamesMapping()[level.upper()]

    def add_service(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event_dict["service"] = service
        return event_dict

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_service,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
        *processors,
        structlog.processors.format_exc_info,
        redact,
    ]
    if fmt == "console":
        chain = [*shared, structlog.dev.ConsoleRenderer(colors=False)]
        factory: Any = structlog.PrintLoggerFactory(sys.stdout)
    else:
        chain = [*shared, structlog.processors.JSONRenderer(serializer=_encode)]
        factory = structlog.BytesLoggerFactory(sys.stdout.buffer)
    structlog.configure(
        processors=chain,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )
    # Libraries (asyncpg, aiohttp, granian, litestar) log through the standard library: route their
    # records through the same processors, redaction included, onto the same stream.
    foreign_renderer = (
        structlog.dev.ConsoleRenderer(colors=False)
        if fmt == "console"
        else structlog.processors.JSONRenderer(serializer=lambda obj, **_: _encode(obj).decode())
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, foreign_renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(max(numeric, logging.WARNING))


def get_logger(name: str) -> FilteringBoundLogger:
    """A logger of the level set by ``configure_logging`` (structlog's filtering bound logger)."""
    logger: FilteringBoundLogger = structlog.get_logger(name)
    return logger
