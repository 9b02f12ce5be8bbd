"""fleetkit.responses.Response: what reaches the wire is what Litestar's own path would send."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from uuid import UUID

import msgspec
import pytest
from litestar import Litestar, get
from litestar import Response as LitestarResponse
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import Cookie, ResponseHeader
from litestar.exceptions import ImproperlyConfiguredException, SerializationException
from litestar.testing import AsyncTestClient

from fleetkit.responses import Response, _PreparedResponse


class Body(msgspec.Struct):
    name: str
    count: int


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("struct", {"content": Body("a", 1)}, {}),
    ("headers", {"content": Body("b", 2), "headers": {"ETag": '"3"', "Cache-Control": "no-cache"}}, {}),
    ("status", {"content": {"x": [1, 2]}, "status_code": 201, "headers": {"Location": "/v1/x/1"}}, {}),
    ("problem", {"content": {"title": "Not Found"}, "status_code": 404, "media_type": "application/problem+json"}, {}),
    ("text", {"content": "hello", "media_type": "text/plain"}, {}),
    ("svg-bytes", {"content": b"<svg/>", "media_type": "image/svg+xml"}, {}),
    ("no-content", {"content": None, "status_code": 204}, {}),
    ("not-modified", {"content": None, "status_code": 304, "headers": {"ETag": '"3"'}}, {}),
    ("explicit-length", {"content": b"abc", "headers": {"Content-Length": "3"}}, {}),
    ("layer-headers", {"content": Body("c", 3), "headers": {"ETag": '"1"'}}, {"headers": {"X-L": "l", "ETag": '"0"'}}),
    ("handler-media-type", {"content": "plain"}, {"media_type": "text/plain", "status_code": 202}),
    ("types", {"content": {"id": UUID(int=7), "at": datetime(2026, 11, 26, tzinfo=UTC), "p": PurePosixPath("/a")}}, {}),
]  # fmt: skip


def _wire(response: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    return response.status_code, response.encode_headers(), response.body


@pytest.mark.parametrize(("name", "init", "call"), CASES, ids=[c[0] for c in CASES])
def test_the_short_path_sends_exactly_what_litestar_would(
    name: str, init: dict[str, Any], call: dict[str, Any]
) -> None:
    ours = Response(**init).to_asgi_response(None, None, **call)  # type: ignore[arg-type]
    theirs = LitestarResponse(**init).to_asgi_response(None, None, **call)  # type: ignore[arg-type]
    assert isinstance(ours, _PreparedResponse)
    assert _wire(ours) == _wire(theirs)


_ATTRIBUTES = ("content", "background", "cookies", "encoding", "headers", "media_type", "status_code")


@pytest.mark.parametrize(
    "init",
    [
        *[c[1] for c in CASES],
        {"content": None, "headers": [ResponseHeader(name="X-A", value="1")]},
        {"content": None, "cookies": {"k": "v"}},
        {"content": None, "type_encoders": {Body: str}},
    ],
)
def test_the_constructor_leaves_the_same_state_as_litestars(init: dict[str, Any]) -> None:
    ours, theirs = Response(**init), LitestarResponse(**init)
    for name in _ATTRIBUTES:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.response_type_encoders == theirs.response_type_encoders
    assert ours.headers is not init.get("headers")  # a copy, as Litestar makes


@pytest.mark.parametrize(
    "extra",
    [
        {"cookies": [Cookie(key="k", value="v")]},
        {"background": BackgroundTask(print, "x")},
        {"is_head_response": True},
        {"type_encoders": {Body: lambda b: {"n": b.name}}},
    ],
    ids=["cookies", "background", "head", "type-encoders"],
)
def test_anything_unusual_takes_litestars_own_path(extra: dict[str, Any]) -> None:
    content = None if extra.get("is_head_response") else Body("d", 4)
    response = Response(content).to_asgi_response(None, None, **extra)  # type: ignore[arg-type]
    assert not isinstance(response, _PreparedResponse)


def test_an_unencodable_body_fails_as_litestars_does() -> None:
    errors = []
    for cls in (Response, LitestarResponse):
        with pytest.raises(SerializationException) as caught:
            cls({"x": object()}).to_asgi_response(None, None)  # type: ignore[arg-type]
        errors.append(type(caught.value))
    assert errors[0] is errors[1]


def test_a_body_on_a_no_content_status_is_refused_as_litestar_refuses_it() -> None:
    for cls in (Response, LitestarResponse):
        with pytest.raises(ImproperlyConfiguredException, match="does not allow content"):
            cls(Body("e", 5), status_code=204).to_asgi_response(None, None)  # type: ignore[arg-type]


@get("/thing", sync_to_thread=False)
def thing() -> Response[Body]:
    return Response(Body("f", 6), headers={"ETag": '"6"'})


async def test_a_route_answers_through_it_end_to_end() -> None:
    async with AsyncTestClient(app=Litestar([thing])) as client:
        response = await client.get("/thing")
    assert response.status_code == 200
    assert response.json() == {"name": "f", "count": 6}
    assert response.headers["etag"] == '"6"'
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))
