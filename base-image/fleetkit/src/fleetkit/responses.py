"""``Response``: Litestar's response with a short path to the wire for the common case.

Routers import ``Response`` from here instead of ``litestar``; it is a subclass, so handlers,
return annotations and the OpenAPI schema are unchanged. Litestar's ``to_asgi_response`` builds
a ``MutableScopeHeaders`` and fills ``content-type`` and ``content-length`` through
``setdefault`` (a ``KeyError`` raised and caught per header when absent), a noticeable share of a
small GET's time in the framework (docs/performance.md). When a response has no cookies, no
background task, no type encoders and is not a HEAD answer (every response in the fleet), this
class builds the raw header list once and hands Litestar a ready ``ASGIResponse``; anything else
takes Litestar's own path. Its constructor likewise skips Litestar's ``isinstance(..., Mapping)``
checks (typing generics, slow) when headers come as a plain dict and there are no cookies.
The kit tests compare both paths byte for byte.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from litestar import Response as LitestarResponse
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import MediaType
from litestar.exceptions import ImproperlyConfiguredException, SerializationException
from litestar.response.base import ASGIResponse
from litestar.serialization import default_serializer
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT, HTTP_304_NOT_MODIFIED
from litestar.utils.helpers import get_enum_string_value

if TYPE_CHECKING:
    from collections.abc import Iterable

    from litestar.app import Litestar
    from litestar.background_tasks import BackgroundTask, BackgroundTasks
    from litestar.connection import Request
    from litestar.datastructures import Cookie
    from litestar.types import ResponseCookies, ResponseHeaders, TypeEncodersMap

__all__ = ["Response"]

T = TypeVar("T")
_NO_BODY_STATUSES = frozenset({HTTP_204_NO_CONTENT, HTTP_304_NOT_MODIFIED})
#: The fleet's JSON media types, encoded as Litestar's render would (its default type encoders).
_JSON_MEDIA_TYPES = frozenset({"application/json", "application/problem+json"})
_JSON = msgspec.json.Encoder(enc_hook=default_serializer)


class _PreparedResponse(ASGIResponse):
    """An ``ASGIResponse`` whose raw headers are already final."""

    __slots__ = ()

    def __init__(self, status_code: int, raw_headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        # ASGIResponse's own slots, set directly: its __init__ is the work being skipped.
        self.headers = MutableScopeHeaders({"headers": raw_headers})
        self.background = None
        self.body = body
        self.content_length = len(body)
        self._encoded_cookies = ()
        self.encoding = "utf-8"
        self.is_head_response = False
        self.status_code = status_code


class Response(LitestarResponse[T]):
    __slots__ = ()

    def __init__(
        self,
        content: T,
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: ResponseCookies | None = None,
        encoding: str = "utf-8",
        headers: ResponseHeaders | None = None,
        media_type: MediaType | str | None = None,
        status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> None:
        if cookies is not None or type_encoders is not None or not (headers is None or type(headers) is dict):
            super().__init__(
                content,
                background=background,
                cookies=cookies,
                encoding=encoding,
                headers=headers,
                media_type=media_type,
                status_code=status_code,
                type_encoders=type_encoders,
            )
            return
        # What Litestar's __init__ does for these arguments, without its typing.Mapping checks.
        self.content = content
        self.background = background
        self.cookies = []
        self.encoding = encoding
        self.headers = dict(headers) if headers else {}
        self.media_type = media_type
        self.status_code = status_code
        self.response_type_encoders = dict(self.type_encoders) if self.type_encoders else {}

    def to_asgi_response(
        self,
        app: Litestar | None,
        request: Request[Any, Any, Any],
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: Iterable[Cookie] | None = None,
        encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        media_type: MediaType | str | None = None,
        status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> ASGIResponse:
        if (
            app is not None
            or background is not None
            or self.background is not None
            or encoded_headers is not None
            or is_head_response
            or type_encoders
            or self.response_type_encoders
            or self.cookies
            or cookies  # Litestar passes a list; anything else non-empty-looking takes its path
        ):
            return super().to_asgi_response(
                app,
                request,
                background=background,
                cookies=cookies,
                encoded_headers=encoded_headers,
                headers=headers,
                is_head_response=is_head_response,
                media_type=media_type,
                status_code=status_code,
                type_encoders=type_encoders,
            )
        media = get_enum_string_value(self.media_type or media_type or MediaType.JSON)
        status = self.status_code or status_code or HTTP_200_OK
        content = self.content
        body: bytes
        if isinstance(content, bytes):
            body = content
        elif media in _JSON_MEDIA_TYPES:
            try:
                body = _JSON.encode(content)
            except (TypeError, msgspec.EncodeError) as exc:  # as Litestar's encode_json does
                raise SerializationException(str(exc)) from exc
        else:
            body = self.render(content, media, default_serializer)
        merged = {**headers, **self.headers} if headers else self.headers
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in merged.items()]
        if status in _NO_BODY_STATUSES or status < HTTP_200_OK:
            if body and body != b"null":
                msg = (
                    "response content is not supported for HEAD responses and responses with a status code "
                    "that does not allow content (304, 204, < 200)"
                )
                raise ImproperlyConfiguredException(msg)
            return _PreparedResponse(status, raw, b"")
        has_type = has_length = False
        for name, _ in raw:
            if name == b"content-type":
                has_type = True
            elif name == b"content-length":
                has_length = True
        if not has_type:
            content_type = f"{media}; charset={self.encoding}" if media.startswith("text/") else media
            raw.append((b"content-type", content_type.encode("latin-1")))
        if not has_length:
            raw.append((b"content-length", str(len(body)).encode("latin-1")))
        return _PreparedResponse(status, raw, body)
