"""The chart and the services agree on configuration, in both directions.

1. Every setting a service reads (the fields of `<svc>.settings.<Svc>Settings`, or of
   `fleetkit.settings.KitSettings` while a service has no settings module yet) is set by the chart,
   directly or as `X_FILE`, or has a default that is safe in a cluster.
2. The chart sets no variable that nobody reads: each is a settings field (or its `_FILE` form),
   a Granian CLI option (Granian reads `GRANIAN_<OPTION>` itself), `OTEL_RESOURCE_ATTRIBUTES`
   (read by the OpenTelemetry SDK's resource detector), or a downward-API helper that another
   variable expands as `$(NAME)`.
3. The values the chart renders decode through the kit's own loader.
"""

from __future__ import annotations

import importlib
import json
import re
import warnings
from pathlib import Path
from typing import Any

import msgspec
import pytest

from fleetkit.settings import KitSettings, load_settings

from .conftest import GENERIC, RELEASE, SERVICES, service_container

CHART_MANAGED = {"service_name", "service_version", "database_url"}
# Defaults that would be wrong in a cluster, so the chart must set them for these services.
MUST_SET = {"avatars": {"AUTH_JWKS_URL"}, "social": {"AUTH_JWKS_URL", "SOCIAL_AVATARS_URL"}}


def settings_class(svc: str) -> type[KitSettings]:
    try:
        module = importlib.import_module(f"{svc}.settings")
    except ModuleNotFoundError:
        warnings.warn(f"{svc}.settings does not exist yet: checking {svc} against KitSettings only", stacklevel=2)
        return KitSettings
    return getattr(module, f"{svc.capitalize()}Settings")


def granian_variables() -> set[str]:
    from granian.cli import cli

    return {f"GRANIAN_{param.name.upper()}" for param in cli.params if param.name}


def container_env(docs: list[dict[str, Any]], svc: str) -> list[dict[str, Any]]:
    return service_container(docs, svc)["env"]


@pytest.mark.parametrize("svc", SERVICES)
def test_every_setting_the_service_reads_is_set_or_safely_defaulted(manifests, svc):
    names = {e["name"] for e in container_env(manifests, svc)}
    for field in msgspec.structs.fields(settings_class(svc)):
        var = field.name.upper()
        is_set = var in names or f"{var}_FILE" in names
        assert is_set or not field.required, f"{svc}: {var} is required but the chart does not set it"
    missing = MUST_SET.get(svc, set()) - names
    assert not missing, f"{svc}: the defaults of {missing} are wrong in a cluster"


@pytest.mark.parametrize("svc", SERVICES)
def test_the_chart_sets_no_variable_the_service_does_not_read(manifests, svc):
    from opentelemetry.sdk.environment_variables import OTEL_RESOURCE_ATTRIBUTES

    env = container_env(manifests, svc)
    fields = {f.name.upper() for f in msgspec.structs.fields(settings_class(svc))}
    readers = fields | {f"{v}_FILE" for v in fields} | granian_variables() | {OTEL_RESOURCE_ATTRIBUTES}
    expanded = {ref for e in env for ref in re.findall(r"\$\((\w+)\)", e.get("value", ""))}
    for item in env:
        name = item["name"]
        assert name in readers or name in expanded, f"{svc}: the chart sets {name}, which nothing reads"


@pytest.mark.parametrize("svc", SERVICES)
def test_rendered_values_decode_through_the_kit_loader(manifests, svc, tmp_path: Path):
    environ = {e["name"]: e["value"] for e in container_env(manifests, svc) if "value" in e}
    dsn = tmp_path / "database-url"
    dsn.write_text("postgresql://svc:secret@db:5432/svc\n")
    environ["DATABASE_URL_FILE"] = str(dsn)
    settings = load_settings(settings_class(svc), environ)
    assert settings.database_url == "postgresql://svc:secret@db:5432/svc"
    assert settings.service_name == svc


def test_the_chart_pins_one_granian_worker_by_default(manifests):
    for svc in SERVICES:
        env = {e["name"]: e.get("value") for e in container_env(manifests, svc)}
        assert env["GRANIAN_WORKERS"] == "1"
        assert env["GRANIAN_HOST"] == "0.0.0.0"
        assert env["GRANIAN_PORT"] == "8000"


def test_values_settings_cover_exactly_the_kit_settings():
    schema = json.loads((GENERIC / "values.schema.json").read_text())
    keys = set(schema["properties"]["settings"]["properties"])
    kit = {f.name for f in msgspec.structs.fields(KitSettings)} - CHART_MANAGED
    as_snake = {re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower() for key in keys}
    assert as_snake == kit


def test_peer_urls_point_at_this_release(kind):
    env = {e["name"]: e.get("value") for e in container_env(kind, "social")}
    assert env["SOCIAL_AVATARS_URL"] == f"http://{RELEASE}-avatars:8000"
    assert env["AUTH_JWKS_URL"] == f"http://{RELEASE}-identity:8000/.well-known/jwks.json"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == f"http://{RELEASE}-otel-collector:4318"
