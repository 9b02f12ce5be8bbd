from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

# No spaces, controls or NUL anywhere; written without \s so Python, JSON Schema (ECMA) and the
# OpenAPI document agree on what matches.
EMAIL_PATTERN = r"^[^@\x00-\x20\x7f]{1,64}@[^@\x00-\x20\x7f]+\.[^@\x00-\x20\x7f]{2,}$"


#: The policy the handler applies after the length check (identity's password_weakness): a
#: password the schema accepts may still be refused with 422 for one of these.
PASSWORD_RULES = (
    "12 to 128 characters (else 400). Refused with 422: fewer than 4 distinct characters, a very "
    "common password, or one containing the part of the e-mail address before the @."
)


class RegisterAccountRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[
        str,
        msgspec.Meta(min_length=6, max_length=254, pattern=EMAIL_PATTERN, examples=["alice@example.com"]),
    ]
    password: Annotated[
        str,
        msgspec.Meta(
            min_length=12,
            max_length=128,
            description=PASSWORD_RULES,
            examples=["correct horse battery"],
        ),
    ]


class RegisterAccountResponse(msgspec.Struct):
    id: UUID
    email: str
    created_at: datetime
