"""Every private part of Litestar the kit relies on still has the shape
the kit expects. An upgrade that changes one fails here, naming the part, before it can
misbehave in production (a slot written that no longer exists, a batch list no longer read, a
plugin module moved).

Who relies on what:
- ``fleetkit.responses``: ``ASGIResponse``'s slots (set directly to skip its ``__init__``),
  ``Response``'s slots and the keyword arguments of ``Response.__init__``/``to_asgi_response``.
- ``fleetkit.app.resolve_sync_dependencies_in_line``: ``HTTPRoute.route_handler_map`` values
  ``(handler, KwargsModel)``, ``KwargsModel.dependency_batches`` (a list of sets it rewrites and
  ``resolve_dependencies`` reads), ``DependencyContainer.provide`` and ``Provide``'s
  ``has_sync_callable``/``has_async_generator_dependency``.
- ``fleetkit.openapi``: ``litestar._openapi.schema_generation.plugins.struct.StructSchemaPlugin``
  and ``SchemaCreator.schema_registry.get_schema_for_field_definition``.

The kit relies on no private part of asyncio or of the standard library (graceful shutdown uses
``loop.add_signal_handler`` and ``signal.raise_signal`` only; known HTTP statuses come from iterating ``HTTPStatus``).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

import pytest
from litestar import Litestar, Response, get
from litestar.di import NamedDependency, Provide
from litestar.response.base import ASGIResponse

Check = Callable[[], str | None]


def _slots(cls: type) -> set[str]:
    return {name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ())}


def _has_slots(cls: type, names: tuple[str, ...]) -> str | None:
    missing = [name for name in names if name not in _slots(cls)]
    if missing:
        return f"{cls.__module__}.{cls.__qualname__}.__slots__ no longer has {', '.join(map(repr, missing))}"
    return None


def _has_keywords(function: Callable[..., object], where: str, names: tuple[str, ...]) -> str | None:
    parameters = inspect.signature(function).parameters
    missing = [n for n in names if n not in parameters or parameters[n].kind is not inspect.Parameter.KEYWORD_ONLY]
    return f"{where} no longer takes keyword-only {', '.join(map(repr, missing))}" if missing else None


def asgi_response_slots() -> str | None:
    return _has_slots(
        ASGIResponse,
        (
            "headers",
            "background",
            "body",
            "content_length",
            "_encoded_cookies",
            "encoding",
            "is_head_response",
            "status_code",
        ),
    )


def response_slots() -> str | None:
    return _has_slots(
        Response,
        (
            "content",
            "background",
            "cookies",
            "encoding",
            "headers",
            "media_type",
            "status_code",
            "response_type_encoders",
        ),
    ) or (None if hasattr(Response, "type_encoders") else "litestar.Response.type_encoders (class attribute) is gone")


def response_signatures() -> str | None:
    init = ("background", "cookies", "encoding", "headers", "media_type", "status_code", "type_encoders")
    to_asgi = (
        *init[:2],
        "encoded_headers",
        "headers",
        "is_head_response",
        "media_type",
        "status_code",
        "type_encoders",
    )
    return _has_keywords(Response.__init__, "litestar.Response.__init__", init) or _has_keywords(
        Response.to_asgi_response, "litestar.Response.to_asgi_response", to_asgi
    )


def dependency_batches() -> str | None:
    """Build a route with two sync dependencies and look at what the kit rewrites."""

    @get(
        "/", dependencies={"a": Provide(lambda: 1, sync_to_thread=False), "b": Provide(lambda: 2, sync_to_thread=False)}
    )
    async def route(a: NamedDependency[int], b: NamedDependency[int]) -> int:
        return a + b

    app = Litestar([route])
    http_route = next(r for r in app.routes if r.path == "/")
    handler_map = getattr(http_route, "route_handler_map", None)
    if not isinstance(handler_map, dict) or not handler_map:
        return "litestar.routes.HTTPRoute.route_handler_map is no longer a dict of (handler, KwargsModel)"
    entry = next(iter(handler_map.values()))
    if not (isinstance(entry, tuple) and len(entry) == 2):
        return "litestar.routes.HTTPRoute.route_handler_map values are no longer (handler, KwargsModel) pairs"
    model = entry[1]
    batches = getattr(model, "dependency_batches", None)
    if not (isinstance(batches, list) and all(isinstance(b, set) for b in batches)):
        return "litestar._kwargs.kwargs_model.KwargsModel.dependency_batches is no longer a list of sets"
    if "self.dependency_batches" not in inspect.getsource(type(model).resolve_dependencies):
        return "litestar._kwargs.kwargs_model.KwargsModel.resolve_dependencies no longer reads dependency_batches"
    members = [d for b in batches for d in b]
    if {getattr(d, "key", None) for d in members} != {"a", "b"}:
        return "litestar._kwargs.dependencies.DependencyContainer no longer holds one dependency per key"
    for name in ("has_sync_callable", "has_async_generator_dependency"):
        if not all(isinstance(getattr(getattr(d, "provide", None), name, None), bool) for d in members):
            return f"litestar._kwargs.dependencies.DependencyContainer.provide.{name} is gone"
    return None


def struct_schema_plugin() -> str | None:
    where = "litestar._openapi.schema_generation.plugins.struct.StructSchemaPlugin"
    try:
        module = importlib.import_module("litestar._openapi.schema_generation.plugins.struct")
        schema = importlib.import_module("litestar._openapi.schema_generation.schema")
        structures = importlib.import_module("litestar._openapi.datastructures")
    except ImportError as exc:
        return f"{where}: its module no longer imports ({exc})"
    plugin = getattr(module, "StructSchemaPlugin", None)
    if plugin is None:
        return f"{where} is gone"
    if list(inspect.signature(plugin.to_openapi_schema).parameters) != ["self", "field_definition", "schema_creator"]:
        return f"{where}.to_openapi_schema no longer takes (field_definition, schema_creator)"
    if "schema_registry" not in _slots(schema.SchemaCreator):
        return "litestar._openapi.schema_generation.schema.SchemaCreator.schema_registry is gone"
    if not callable(getattr(structures.SchemaRegistry, "get_schema_for_field_definition", None)):
        return "litestar._openapi.datastructures.SchemaRegistry.get_schema_for_field_definition is gone"
    return None


CHECKS: tuple[Check, ...] = (
    asgi_response_slots,
    response_slots,
    response_signatures,
    dependency_batches,
    struct_schema_plugin,
)


def private_part_problems() -> list[str]:
    return [problem for check in CHECKS if (problem := check()) is not None]


def test_every_private_part_the_kit_relies_on_has_the_shape_it_expects():
    problems = private_part_problems()
    assert not problems, "a dependency upgrade changed what the kit relies on:\n- " + "\n- ".join(problems)


def test_a_renamed_response_slot_fails_the_check_naming_it(monkeypatch):
    renamed = tuple("_cookies_encoded" if s == "_encoded_cookies" else s for s in ASGIResponse.__slots__)
    monkeypatch.setattr(ASGIResponse, "__slots__", renamed)
    assert private_part_problems() == [
        "litestar.response.base.ASGIResponse.__slots__ no longer has '_encoded_cookies'",
    ]


def test_batches_no_longer_read_fail_the_check_naming_them(monkeypatch):
    from litestar._kwargs.kwargs_model import KwargsModel

    async def resolve_dependencies(self, connection, kwargs):  # a resolver that reads another plan
        return self.plan

    monkeypatch.setattr(KwargsModel, "resolve_dependencies", resolve_dependencies)
    assert private_part_problems() == [
        "litestar._kwargs.kwargs_model.KwargsModel.resolve_dependencies no longer reads dependency_batches",
    ]


def test_a_moved_plugin_module_fails_the_check_naming_it(monkeypatch):
    real = importlib.import_module

    def import_module(name: str, package: str | None = None):
        if name == "litestar._openapi.schema_generation.plugins.struct":
            raise ModuleNotFoundError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", import_module)
    problems = private_part_problems()
    assert len(problems) == 1
    assert problems[0].startswith("litestar._openapi.schema_generation.plugins.struct.StructSchemaPlugin")


@pytest.mark.parametrize("package", ["litestar", "granian"])
def test_the_kit_pins_the_versions_these_checks_ran_against(package):
    """The kit's pyproject bounds Litestar and Granian to the minor version in uv.lock."""
    import tomllib
    from importlib.metadata import version
    from pathlib import Path

    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    spec = next(d for d in project["project"]["dependencies"] if d.startswith(f"{package}>"))
    specifier = SpecifierSet(spec.removeprefix(package))
    installed = version(package)
    major, minor = (int(p) for p in installed.split(".")[:2])
    assert installed in specifier
    assert f"{major}.{minor + 1}.0" not in specifier, f"{package} is not bounded below its next minor: {spec}"
