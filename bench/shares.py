"""Where a request's CPU goes, by layer: from a cProfile of ``bench/micro.py`` (``--cprofile``), or
from py-spy's collapsed stacks (``python bench/shares.py STACKS``; see docs/performance.md).

Each function's own time (``tottime``) goes to the layer its file belongs to: Litestar, the kit
(by concern: auth, rate limit, metrics, tracing, logging, pool, middleware, responses), asyncpg,
msgspec, the event loop, the service's own code. A C function (``{built-in method ...}``) has no
file: msgspec's count as msgspec and socket calls as the event loop; any other (``dict.get``,
``isinstance``, ...), and any function of the standard library outside asyncio, is shared out to
its callers' layers in proportion to the time each caller spent in it, so a layer's share includes
the builtins and the standard library it runs.
"""

from __future__ import annotations

import pstats
from collections.abc import Iterable

__all__ = ["LAYERS", "layer_of", "shares", "stack_shares", "table"]

Func = tuple[str, int, str]  # pstats' key: (file, line, function name)

#: (layer, substrings of a file path or a C function's name), first match wins.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("msgspec", ("msgspec",)),
    # asyncio's read callback runs asyncpg's protocol (Cython, invisible to cProfile) in its own time
    ("asyncpg", ("_read_ready__data_received",)),
    ("kit: auth (token cache, verification)", ("/fleetkit/auth", "/fleetkit/jwks", "jwt", "cryptography")),
    ("kit: rate limit", ("/fleetkit/ratelimit",)),
    ("kit: metrics", ("/fleetkit/metrics", "/prometheus_client/")),
    (
        "kit: tracing (kit spans, OTLP, SDK)",
        (
            "/fleetkit/telemetry",
            "/fleetkit/otlp",
            "/opentelemetry/",
            # py-spy names opentelemetry's (namespace package) files from below the package
            "/attributes/",
            "/context/",
            "/trace/",
            "/sdk/",
            "/propagat",
            "/instrumentation/",
        ),
    ),
    ("kit: logging (structlog, redaction)", ("/fleetkit/logging", "/structlog/")),
    ("kit: pool and admission gate", ("/fleetkit/db", "/fleetkit/gate")),
    ("kit: middleware (the rest of it)", ("/fleetkit/middleware", "/fleetkit/methods", "/fleetkit/proxies")),
    ("kit: responses, DI, other kit", ("/fleetkit/",)),
    ("asyncpg", ("asyncpg", "/protocol.c", "/record/")),
    ("Litestar (routing, DI, kwargs, exceptions, response)", ("/litestar/",)),
    (
        "event loop and socket calls (asyncio; send/recv to PostgreSQL)",
        ("asyncio", "socket", "select", "_contextvars", "uvloop"),
    ),
    ("the service's slice code", ("/avatars/", "/social/", "/identity/")),
    ("bench/micro.py's ASGI client", ("micro.py",)),
)
OTHER = "other (stdlib)"


def layer_of(func: Func) -> str | None:
    """The layer of ``func``, or None for a C builtin that is shared out to its callers."""
    file, _, name = func
    text = name if file == "~" else f"{file}:{name}"
    for layer, marks in LAYERS:
        if any(mark in text for mark in marks):
            return layer
    return None if file == "~" else OTHER


def shares(stats: pstats.Stats) -> dict[str, float]:
    """Seconds of own time per layer."""
    raw = stats.stats  # type: ignore[attr-defined]
    out: dict[str, float] = {}

    def add(layer: str, seconds: float) -> None:
        out[layer] = out.get(layer, 0.0) + seconds

    def caller_layer(func: Func, depth: int = 0) -> Iterable[tuple[str, float]]:
        """(layer, fraction) of ``func``'s callers, following builtin callers up."""
        callers = raw[func][4]
        total = sum(entry[2] for entry in callers.values()) or 1.0
        for caller, entry in callers.items():
            weight = entry[2] / total
            layer = layer_of(caller)
            if layer not in (None, OTHER) or depth > 8:
                yield layer or OTHER, weight
            else:
                for up, w in caller_layer(caller, depth + 1):
                    yield up, weight * w

    for func, (_, _, tottime, _, callers) in raw.items():
        layer = layer_of(func)
        if layer not in (None, OTHER):
            add(layer, tottime)
        elif not callers:
            add(OTHER, tottime)
        else:
            for up, weight in caller_layer(func):
                add(up, tottime * weight)
    return out


def table(stats: pstats.Stats, cpu_us_per_request: float | None = None) -> str:
    """A markdown table of the layers' shares, largest first (with microseconds per request of
    the unprofiled run when ``cpu_us_per_request`` is given)."""
    found = shares(stats)
    total = sum(found.values()) or 1.0
    head = "| layer | share of the CPU |" + (" us/request (unprofiled run x share) |" if cpu_us_per_request else "")
    rule = "|---|---:|" + ("---:|" if cpu_us_per_request else "")
    rows = [head, rule]
    for layer, seconds in sorted(found.items(), key=lambda item: -item[1]):
        share = seconds / total
        row = f"| {layer} | {100 * share:.1f}% |"
        if cpu_us_per_request:
            row += f" {share * cpu_us_per_request:.0f} |"
        rows.append(row)
    return "\n".join(rows)


def stack_shares(lines: Iterable[str], *, skip: tuple[str, ...] = ()) -> dict[str, int]:
    """Samples per layer from py-spy's collapsed stacks (``--format raw``, ideally ``--native``):
    each sample goes to the first frame from the leaf up that belongs to a layer (frames of the
    interpreter itself and libc belong to none: they are whatever Python code called them). A
    sample in a stack containing any of ``skip`` (start-up, seeding) is left out, and so are
    samples of a thread waiting (a leaf in libc or epoll with no Python frame of a layer above it)."""
    out: dict[str, int] = {}
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not stack or any(mark in stack for mark in skip):
            continue
        frames = stack.split(";")
        found = None
        for frame in reversed(frames):
            name, _, where = frame.partition(" (")
            where = where.rstrip(")")
            if where.startswith(("lib", "0x", "[", "ld-")) or where.endswith(".h") or ".so" in where:
                if ".so" in where and layer_of((f"/{where}", 0, name)) not in (None, OTHER):
                    found = layer_of((f"/{where}", 0, name))
                    break
                continue  # the interpreter, libc: whatever called them
            layer = layer_of((f"/{where}", 0, name))
            if layer == OTHER:
                found = found or OTHER  # the standard library: its caller's, if it has one
                continue
            if layer is not None:
                found = layer
                break
        if found is None or (found.startswith("event loop") and "select" in frames[-1]):
            continue  # a thread asleep, or the loop waiting in epoll
        out[found] = out.get(found, 0) + int(count)
    return out


def main() -> None:
    """``python bench/shares.py FILE.prof`` (micro's ``--cprofile``) or ``python bench/shares.py
    STACKS [SKIP ...]`` (py-spy's collapsed stacks): print the table."""
    import sys

    path, *skip = sys.argv[1:]
    if path.endswith(".prof"):
        print(table(pstats.Stats(path)))
        return
    with open(path, encoding="utf-8") as f:
        found = stack_shares(f, skip=tuple(skip))
    total = sum(found.values()) or 1
    print(f"| layer | share of the samples ({total}) |\n|---|---:|")
    for layer, n in sorted(found.items(), key=lambda item: -item[1]):
        print(f"| {layer} | {100 * n / total:.1f}% |")


if __name__ == "__main__":
    main()
