"""Settings decoded from environment variables into msgspec Structs.

Every field of a settings Struct is read from the environment variable named like the field in
upper case (``db_pool_max_size`` -> ``DB_POOL_MAX_SIZE``). Constraints live in ``msgspec.Meta``
next to a one-line description, which also feeds the generated configuration reference.
A missing or malformed value stops start-up with a message that names the variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

import msgspec

from fleetkit.proxies import parse_networks

__all__ = [
    "KitSettings",
    "SettingsError",
    "env_name",
    "load_settings",
    "settings_or_exit",
    "settings_reference",
]

_PATH_FIELD = re.compile(r"\$\.(\w+)")

Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]


class SettingsError(Exception):
    """Raised at start-up when a setting is missing or malformed; the message names it."""


#: ``k=v,k2=v2`` (the OTLP exporters' header list), or nothing.
HEADER_LIST = r"^\s*$|^\s*[^=,\s]+\s*=[^,]*(,\s*[^=,\s]+\s*=[^,]*)*$"


class KitSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=False):
    """What every fleet service reads. Service settings subclass this and add their own fields."""

    service_name: Annotated[str, msgspec.Meta(min_length=1, description="Service name in logs, traces and metrics.")]
    service_version: Annotated[str, msgspec.Meta(description="Version reported in traces and /livez.")] = "0.1.0"
    database_url: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^postgres(ql)?://",
            description="PostgreSQL DSN of the service's own database.",
        ),
    ]
    db_pool_min_size: Annotated[int, msgspec.Meta(ge=0, le=100, description="Connections opened at start.")] = 2
    db_pool_max_size: Annotated[int, msgspec.Meta(ge=1, le=200, description="Most connections per worker.")] = 10
    db_acquire_timeout_s: Annotated[Seconds, msgspec.Meta(description="Longest wait for a pooled connection.")] = 2.0
    db_command_timeout_s: Annotated[Seconds, msgspec.Meta(description="Client-side timeout of one query.")] = 5.0
    db_statement_timeout_ms: Annotated[
        int,
        msgspec.Meta(ge=1, le=600_000, description="Server-side statement_timeout of every pooled session."),
    ] = 4000
    db_max_inactive_lifetime_s: Annotated[
        Seconds, msgspec.Meta(description="Idle connections older than this are closed.")
    ] = 300.0
    http_total_timeout_s: Annotated[Seconds, msgspec.Meta(description="Whole-call timeout of outgoing HTTP.")] = 3.0
    http_connect_timeout_s: Annotated[Seconds, msgspec.Meta(description="Connect timeout of outgoing HTTP.")] = 1.0
    http_limit: Annotated[int, msgspec.Meta(ge=1, le=10_000, description="Most open outgoing connections.")] = 100
    http_limit_per_host: Annotated[int, msgspec.Meta(ge=1, le=10_000, description="Most per peer host.")] = 32
    http_keepalive_timeout_s: Annotated[Seconds, msgspec.Meta(description="Idle keep-alive of outgoing HTTP.")] = 30.0
    auth_jwks_url: Annotated[
        str,
        msgspec.Meta(description="JWKS document of identity; empty when the service issues tokens itself."),
    ] = ""
    auth_issuer: Annotated[str, msgspec.Meta(min_length=1, description="Expected `iss` of access tokens.")] = (
        "fleet-identity"
    )
    auth_audience: Annotated[str, msgspec.Meta(min_length=1, description="Expected `aud` of access tokens.")] = "fleet"
    auth_jwks_refresh_s: Annotated[Seconds, msgspec.Meta(description="Routine JWKS refresh period.")] = 300.0
    auth_jwks_min_refresh_s: Annotated[
        float,
        msgspec.Meta(
            gt=0,
            le=30,
            description="JWKS fetches are spaced this far apart; a request with an unknown kid waits for the next.",
        ),
    ] = 1.0
    auth_jwks_unknown_kid_ttl_s: Annotated[
        float,
        msgspec.Meta(ge=0, le=300, description="A kid missing from a fresh JWKS is refused without a fetch this long."),
    ] = 5.0
    auth_leeway_s: Annotated[float, msgspec.Meta(ge=0, le=300, description="Clock skew allowed on exp/nbf.")] = 5.0
    auth_max_token_lifetime_s: Annotated[
        int,
        msgspec.Meta(ge=60, le=86_400, description="Longest access token accepted (`exp - iat`); longer ones are 401."),
    ] = 3600
    auth_token_cache_size: Annotated[
        int,
        msgspec.Meta(ge=0, le=1_000_000, description="Verified tokens remembered until expiry (0 = off)."),
    ] = 10_000
    rate_limit_rps: Annotated[float, msgspec.Meta(gt=0, description="Sustained requests/s per client.")] = 200.0
    rate_limit_burst: Annotated[int, msgspec.Meta(ge=1, description="Burst size per client.")] = 400
    rate_limit_strict_rps: Annotated[
        float, msgspec.Meta(gt=0, description="Requests/s per client on credential routes.")
    ] = 1.0
    rate_limit_strict_burst: Annotated[int, msgspec.Meta(ge=1, description="Burst on credential routes.")] = 10
    trusted_proxies: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^[0-9A-Fa-f:.,/\s]*$",
            description=(
                "Comma-separated CIDR networks of your proxies (the ingress controller's pods); only"
                " from these peers is the client address read from the forwarded header. Empty trusts none."
            ),
        ),
    ] = ""
    trusted_proxy_header: Annotated[
        Literal["x-forwarded-for", "forwarded"],
        msgspec.Meta(description="The one header your trusted proxies write the client address to."),
    ] = "x-forwarded-for"
    rate_limit_max_keys: Annotated[
        int,
        msgspec.Meta(ge=100, description="Clients tracked at once; the least recent are forgotten."),
    ] = 100_000
    admission_queue_max: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=100_000,
            description="Requests that may wait for a place in the app (2 x DB_POOL_MAX_SIZE are inside); "
            "beyond it they get 503 at once.",
        ),
    ] = 64
    admission_queue_timeout_s: Annotated[
        Seconds, msgspec.Meta(description="Longest wait for a place in the app before 503 with Retry-After.")
    ] = 1.0
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024, description="Largest request body accepted.")] = 65_536
    log_level: Annotated[
        Literal["debug", "info", "warning", "error"], msgspec.Meta(description="Lowest level that is logged.")
    ] = "info"
    log_format: Annotated[
        Literal["json", "console"],
        msgspec.Meta(description="json in production; console for humans."),
    ] = "json"
    otel_exporter_otlp_endpoint: Annotated[
        str,
        msgspec.Meta(
            description=(
                "OTLP/HTTP collector base URL (`/v1/traces` is appended); empty, with no traces "
                "endpoint, turns tracing off."
            )
        ),
    ] = ""
    otel_exporter_otlp_traces_endpoint: Annotated[
        str,
        msgspec.Meta(description="Full OTLP/HTTP traces URL, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT."),
    ] = ""
    otel_exporter_otlp_compression: Annotated[
        Literal["", "none", "gzip"], msgspec.Meta(description="Compression of span exports: gzip or none.")
    ] = ""
    otel_exporter_otlp_traces_compression: Annotated[
        Literal["", "none", "gzip"],
        msgspec.Meta(description="Compression of span exports, for traces only; wins over the general one."),
    ] = ""
    otel_exporter_otlp_certificate: Annotated[
        str,
        msgspec.Meta(
            description="PEM file of the CA(s) trusted for the collector's TLS certificate; empty: the system's."
        ),
    ] = ""
    otel_exporter_otlp_traces_certificate: Annotated[
        str,
        msgspec.Meta(description="The same, for traces only; wins over OTEL_EXPORTER_OTLP_CERTIFICATE."),
    ] = ""
    otel_traces_sampler: Annotated[
        Literal[
            "always_on",
            "always_off",
            "traceidratio",
            "parentbased_always_on",
            "parentbased_always_off",
            "parentbased_traceidratio",
        ],
        msgspec.Meta(description="The SDK's sampler names; the kit's default samples a ratio of new traces."),
    ] = "parentbased_traceidratio"
    otel_traces_sampler_arg: Annotated[
        float,
        msgspec.Meta(ge=0, le=1, description="Ratio of new traces sampled by the traceidratio samplers."),
    ] = 0.1
    otel_exporter_otlp_headers: Annotated[
        str,
        msgspec.Meta(
            pattern=HEADER_LIST,
            description="Headers sent with every span export, as `k=v,k2=v2` (values URL-encoded).",
        ),
    ] = ""
    otel_exporter_otlp_traces_headers: Annotated[
        str,
        msgspec.Meta(
            pattern=HEADER_LIST, description="More export headers, for traces only; they win over the general ones."
        ),
    ] = ""
    otel_bsp_schedule_delay: Annotated[
        int, msgspec.Meta(ge=1, le=60_000, description="Milliseconds between exports of a batch that is not full.")
    ] = 1000
    otel_bsp_max_queue_size: Annotated[
        int, msgspec.Meta(ge=1, le=1_000_000, description="Spans waiting for export; beyond it new ones are dropped.")
    ] = 2048
    otel_bsp_max_export_batch_size: Annotated[
        int, msgspec.Meta(ge=1, le=10_000, description="Most spans in one export (one batch holds the loop briefly).")
    ] = 128
    shutdown_timeout_s: Annotated[
        Seconds, msgspec.Meta(description="Budget to close pools and tasks after the last request.")
    ] = 10.0
    shutdown_drain_delay_s: Annotated[
        float,
        msgspec.Meta(
            ge=0,
            le=300,
            description=(
                "Seconds a worker keeps serving after SIGTERM with readiness failing, before it stops accepting"
                " (0 in Kubernetes, where the preStop sleep does it; longer than a proxy's health checks take"
                " to notice when a proxy, not the endpoints controller, takes replicas out of rotation)."
            ),
        ),
    ] = 0.0
    background_tasks_max: Annotated[
        int, msgspec.Meta(ge=1, le=100_000, description="Most background tasks alive at once.")
    ] = 256

    def __post_init__(self) -> None:
        try:
            parse_networks(self.trusted_proxies)
        except ValueError as exc:
            msg = f"TRUSTED_PROXIES is invalid: {exc}"
            raise ValueError(msg) from None


def env_name(field: str) -> str:
    return field.upper()


def load_settings[T: KitSettings](cls: type[T], environ: Mapping[str, str]) -> T:
    """Decode ``cls`` from ``environ``; raise SettingsError naming the first bad variable."""
    raw = {}
    for name in cls.__struct_fields__:
        value = _read_variable(env_name(name), environ)
        if value is not None:
            raw[name] = value
    try:
        return msgspec.convert(raw, cls, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc)
        match = _PATH_FIELD.search(text)
        if match is None and text.startswith(tuple(env_name(f) + " " for f in cls.__struct_fields__)):
            msg = text  # a check across the whole Struct (__post_init__): it names the variable itself
        elif match is None:
            missing = re.search(r"missing required field `(\w+)`", text)
            field = missing.group(1) if missing else "?"
            msg = f"{env_name(field)} is required but not set"
        else:
            field = match.group(1)
            # The value is not echoed: it may be a secret (a DSN with its password, say).
            msg = f"{env_name(field)} is invalid: {text.split(' - at ', maxsplit=1)[0]}"
        raise SettingsError(msg) from exc


def _read_variable(var: str, environ: Mapping[str, str]) -> str | None:
    """``X`` from the environment, or the contents of the file named by ``X_FILE``.

    Secrets (the database DSN, say) arrive as files mounted from a Kubernetes Secret, never as
    plain environment variables; ``X_FILE`` is how a chart points a setting at such a file.
    This runs once at start-up, before the event loop serves anything.
    """
    if var in environ:
        return environ[var]
    path = environ.get(f"{var}_FILE")
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as exc:
        msg = f"{var}_FILE={path!r} cannot be read: {exc.strerror}"
        raise SettingsError(msg) from exc


def settings_reference(cls: type[KitSettings]) -> list[tuple[str, str, str, str]]:
    """Rows of (variable, type, default, description) for the configuration reference."""
    info = msgspec.inspect.type_info(cls)
    if not isinstance(info, msgspec.inspect.StructType):
        msg = f"{cls!r} is not a settings Struct"
        raise TypeError(msg)
    rows = []
    for field in info.fields:
        kind = field.type
        description = ""
        if isinstance(kind, msgspec.inspect.Metadata):
            description = (kind.extra_json_schema or {}).get("description", "")
            kind = kind.type
        nested = getattr(kind, "type", None)
        if isinstance(nested, msgspec.inspect.Metadata):
            description = description or (nested.extra_json_schema or {}).get("description", "")
        type_name = type(kind).__name__.removesuffix("Type").lower()
        if isinstance(kind, msgspec.inspect.LiteralType):
            type_name = "one of " + ", ".join(str(v) for v in kind.values)
        default = "(required)" if field.required else repr(field.default)
        rows.append((env_name(field.name), type_name, default, description))
    return rows


def settings_or_exit[T: KitSettings](cls: type[T], environ: Mapping[str, str]) -> T:
    """Load settings for a server process; on error print the named variable and exit 2."""
    try:
        return load_settings(cls, environ)
    except SettingsError as exc:
        raise SystemExit(f"configuration error: {exc}") from None
