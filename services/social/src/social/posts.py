"""Posts, as every slice that acts on one by id sees them (like, unlike, comment, delete).

The rule those slices share: an id the caller may not act on answers exactly like an id that
does not exist. Deleting someone else's post is "no post with this id", never "not yours", so
the ids of other users' posts reveal nothing. Each slice's SQL checks existence (and, where the
action is the author's, ownership) in the same statement that acts, and says only whether it
found the post; the handler turns "not found" into :class:`PostNotFound`.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec

__all__ = ["PostNotFound"]


class PostNotFound(msgspec.Struct, frozen=True):
    """No such post; where the action is the author's, no such post of the caller's."""

    #: What the client is told, in the problem's detail and the route's documented 404.
    detail: ClassVar[str] = "No post with this id."
