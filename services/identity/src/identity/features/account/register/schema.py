from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"


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
