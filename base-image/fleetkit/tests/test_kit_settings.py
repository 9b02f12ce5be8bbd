"""Settings: every kit variable is read from the environment, and a bad one is named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from fleetkit.settings import KitSettings, SettingsError, load_settings, settings_or_exit

BASE = {"SERVICE_NAME": "kit-test", "DATABASE_URL": "postgresql://u:s3cret-pw@db:5432/app"}


def _fields() -> list[msgspec.inspect.Field]:
    info = msgspec.inspect.type_info(KitSettings)
    assert isinstance(info, msgspec.inspect.StructType)
    return list(info.fields)


def _malformed_values(field: msgspec.inspect.Field) -> list[str]:
    """Values that break this field's type or constraints, derived from the Struct itself."""
    kind: Any = field.type
    meta: Any = kind if isinstance(kind, msgspec.inspect.Metadata) else None
    while isinstance(kind, msgspec.inspect.Metadata):
        kind = kind.type
    constraints: dict[str, Any] = {}
    for node in (meta, getattr(meta, "type", None), kind):
        for name in ("ge", "gt", "le", "lt", "min_length", "pattern"):
            value = getattr(node, name, None)
            if value is not None:
                constraints[name] = value
    bad: list[str] = []
    if isinstance(kind, msgspec.inspect.IntType | msgspec.inspect.FloatType):
        bad.append("not-a-number")
        if "ge" in constraints:
            bad.append(str(constraints["ge"] - 1))
        if "gt" in constraints:
            bad.append(str(constraints["gt"]))
        if "le" in constraints:
            bad.append(str(constraints["le"] + 1))
        if isinstance(kind, msgspec.inspect.IntType):
            bad.append("1.5")
    elif isinstance(kind, msgspec.inspect.LiteralType):
        bad.append("bogus")
    elif isinstance(kind, msgspec.inspect.StrType):
        if constraints.get("min_length"):
            bad.append("")
        if "pattern" in constraints:
            bad.append("mysql://u:s3cret-pw@db/app")
    return bad


MALFORMED = [
    pytest.param(field.name.upper(), value, id=f"{field.name.upper()}={value!r}")
    for field in _fields()
    for value in _malformed_values(field)
]
REQUIRED = [field.name.upper() for field in _fields() if field.required]


def test_every_kit_variable_has_at_least_one_malformed_case_or_is_free_text():
    covered = {param.values[0] for param in MALFORMED}
    free_text = {
        "SERVICE_VERSION",
        "AUTH_JWKS_URL",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        # file paths, checked when tracing starts (test_kit_otlp: an unreadable one is named)
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
    }
    assert covered | free_text == {field.name.upper() for field in _fields()}


def test_defaults_load_when_only_the_required_variables_are_set():
    settings = load_settings(KitSettings, BASE)
    assert settings.service_name == "kit-test"
    assert settings.db_pool_max_size == 10
    assert settings.log_format == "json"


def test_every_variable_is_read_from_its_upper_case_name():
    environ = {
        **BASE,
        "DB_POOL_MIN_SIZE": "3",
        "DB_ACQUIRE_TIMEOUT_S": "0.5",
        "LOG_LEVEL": "debug",
        "AUTH_JWKS_URL": "http://identity:8000/.well-known/jwks.json",
        "MAX_BODY_BYTES": "2048",
    }
    settings = load_settings(KitSettings, environ)
    assert settings.db_pool_min_size == 3
    assert settings.db_acquire_timeout_s == 0.5
    assert settings.log_level == "debug"
    assert settings.auth_jwks_url.endswith("/jwks.json")
    assert settings.max_body_bytes == 2048


@pytest.mark.parametrize("variable", REQUIRED)
def test_a_missing_required_variable_is_named(variable):
    environ = {k: v for k, v in BASE.items() if k != variable}
    with pytest.raises(SettingsError, match=rf"^{variable} is required"):
        load_settings(KitSettings, environ)


@pytest.mark.parametrize(("variable", "value"), MALFORMED)
def test_a_malformed_variable_is_named(variable, value):
    with pytest.raises(SettingsError) as caught:
        load_settings(KitSettings, {**BASE, variable: value})
    assert str(caught.value).startswith(f"{variable} is invalid")
    assert "is invalid" in str(caught.value)


def test_a_malformed_database_url_is_named_without_echoing_its_password():
    with pytest.raises(SettingsError) as caught:
        load_settings(KitSettings, {**BASE, "DATABASE_URL": "mysql://app:s3cret-pw@db/app"})
    assert "DATABASE_URL" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)


def test_a_variable_can_be_read_from_the_file_named_by_its_file_variable(tmp_path: Path):
    secret = tmp_path / "dsn"
    secret.write_text("postgresql://app:from-file@db/app\n", encoding="utf-8")
    environ = {"SERVICE_NAME": "kit-test", "DATABASE_URL_FILE": str(secret)}
    assert load_settings(KitSettings, environ).database_url == "postgresql://app:from-file@db/app"


def test_the_plain_variable_wins_over_its_file_variable(tmp_path: Path):
    secret = tmp_path / "dsn"
    secret.write_text("postgresql://app:from-file@db/app", encoding="utf-8")
    environ = {**BASE, "DATABASE_URL_FILE": str(secret)}
    assert load_settings(KitSettings, environ).database_url == BASE["DATABASE_URL"]


def test_an_unreadable_file_variable_is_named(tmp_path: Path):
    missing = tmp_path / "nope"
    environ = {"SERVICE_NAME": "kit-test", "DATABASE_URL_FILE": str(missing)}
    with pytest.raises(SettingsError, match=r"^DATABASE_URL_FILE=.*cannot be read"):
        load_settings(KitSettings, environ)


def test_a_malformed_value_read_from_a_file_is_named(tmp_path: Path):
    size = tmp_path / "size"
    size.write_text("lots", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"^DB_POOL_MAX_SIZE is invalid"):
        load_settings(KitSettings, {**BASE, "DB_POOL_MAX_SIZE_FILE": str(size)})


def test_settings_or_exit_stops_the_process_with_the_variable_named():
    with pytest.raises(SystemExit) as exited:
        settings_or_exit(KitSettings, {"SERVICE_NAME": "kit-test"})
    assert "DATABASE_URL" in str(exited.value.code)
