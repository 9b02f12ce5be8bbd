from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

# No spaces, controls or NUL anywhere; written without \s so Python, JSON Schema (ECMA) and the
# OpenAPI document agree on what matches.
EMAIL_PATTERN = r"^[^@\x00-\x20\x7f]{1,64}@[^@\x00-\x20\x7f]+\.[^@\x00-\x20\x7f]{2,}$"


class RegisterAccountRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[
        str,
        msgspec.Meta(min_length=6, max_length=254, pattern=EMAIL_PATTERN, examples=["alice@example.com"]),
    ]
    password: Annotated[str, msgspec.Meta(min_length=12, max_length=128, examples=["correct horse battery"])]


class RegisterAccountResponse(msgspec.Struct):
    id: UUID
    email: str
    created_at: datetime
