"""References back along the object graph: `User.groups` and `EmergencyLock.lockedBy`.

`groups` imports `users` (a group's members are users) and `users` imports `locks` (a user's
emergency lock); the types that point back (a user's groups, the admin who set a lock) are
named only through this module, so no type module imports one that imports it back
(tests/test_import_cycles.py). Strawberry resolves the annotations (`strawberry.lazy`) when the
schema is built; `user_type()` and `group_connection_type()` look the classes up at run time,
typed by the protocols below.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated, Protocol, TypeAlias, cast

import strawberry

from app.domain.types import GroupRecord, UserRecord
from app.graphql.context import Context, Info

_USERS = "app.graphql.types.users"
_GROUPS = "app.graphql.types.groups"


class UserObject(Protocol):
    """A `User` object, as the types that refer back to it see it."""

    record: UserRecord


class UserClass(Protocol):
    """The `User` type's constructor."""

    def of(self, rec: UserRecord, ctx: Context) -> UserObject: ...


class GroupConnectionObject(Protocol):
    """A `GroupConnection` object, as `User.groups` sees it."""


class GroupConnectionClass(Protocol):
    """The `GroupConnection` type's constructor over a user's groups."""

    def from_list(
        self, info: Info, groups: list[GroupRecord], first: int | None, after: str | None
    ) -> GroupConnectionObject: ...


if TYPE_CHECKING:
    UserRef: TypeAlias = UserObject
    GroupConnectionRef: TypeAlias = GroupConnectionObject
else:  # the names are those of the classes in the lazy modules
    UserRef = Annotated["User", strawberry.lazy(_USERS)]  # noqa: F821
    GroupConnectionRef = Annotated["GroupConnection", strawberry.lazy(_GROUPS)]  # noqa: F821


@cache
def user_type() -> UserClass:
    """The `User` type (app.graphql.types.users), looked up once."""
    return cast(UserClass, strawberry.LazyType("User", _USERS).resolve_type())


@cache
def group_connection_type() -> GroupConnectionClass:
    """The `GroupConnection` type (app.graphql.types.groups), looked up once."""
    return cast(
        GroupConnectionClass, strawberry.LazyType("GroupConnection", _GROUPS).resolve_type()
    )
