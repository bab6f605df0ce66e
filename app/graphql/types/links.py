"""Objects a log entry or a token links to, read through the request's DataLoaders (one
statement per kind for a whole page, however many entries link to them), and the fields the
two log connections (audit entries, provisioning events) share: their fields and their read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import strawberry

from app.domain.directory import Page
from app.graphql.context import Context, Info
from app.graphql.types.admin import ApiToken, ScimToken
from app.graphql.types.catalogue import ProfileAttribute
from app.graphql.types.common import Node, page_request
from app.graphql.types.groups import Group
from app.graphql.types.relay import Connection, Count, count_later
from app.graphql.types.users import User

# How many rows a log's totalCount counts at most (a bounded scan; more reads as this number).
LOG_COUNT_CAP = 10_000
T = TypeVar("T")


def log_total_count(what: str) -> Any:
    """A log connection's totalCount: ``what`` matching the filter, up to LOG_COUNT_CAP."""
    return strawberry.field(
        resolver=Connection._total_count,
        description=f"{what} matching the filter, counted up to {LOG_COUNT_CAP:,} (an estimate"
        f" beyond: {LOG_COUNT_CAP:,} reads as at least that many).",
    )


async def read_log(
    info: Info,
    filter: object,
    page: tuple[int | None, str | None],
    read: Callable[..., Awaitable[Page[T]]],
    count: Callable[..., Awaitable[int]],
) -> tuple[Page[T], Count]:
    """One page of a log (``page`` is first and after) read with ``read``, and its total by
    ``count`` up to LOG_COUNT_CAP, counted in a read of its own only if selected."""
    first, after = page
    async with info.context.read() as tx:
        found = await read(tx, filter=filter, page=page_request(info, first, after))
    return found, count_later(info, lambda tx: count(tx, filter=filter, cap=LOG_COUNT_CAP))


def _cursors(self: Connection[Any]) -> list[str]:
    return self.edge_cursors


def log_cursors() -> Any:
    """A log connection's deprecated cursors field."""
    return strawberry.field(
        resolver=_cursors,
        description="Cursor of each node, in order.",
        deprecation_reason="Use edges { cursor }. Kept for one release.",
    )


# Node type -> (the loader reading it by id, its GraphQL view)
_VIEWS: dict[str, tuple[str, Callable[[Any, Context], Any]]] = {
    "User": ("users", User.of),
    "Group": ("groups", lambda rec, _: Group.of(rec)),
    "ScimToken": ("scim_tokens", lambda rec, _: ScimToken.of(rec)),
    "ApiToken": ("api_tokens", lambda rec, _: ApiToken.of(rec)),
}


async def linked(info: Info, type_name: str | None, raw: str | None) -> Node | None:
    """`linked_node`, typed as the Node it is."""
    return cast(Node | None, await linked_node(info, type_name, raw))


async def linked_node(info: Info, type_name: str | None, raw: str | None) -> Any:
    """The Node of type ``type_name`` with raw id ``raw``, or None when it is gone (or has no
    Node type); soft-deleted users are found (their deletedAt says so)."""
    if raw is None or type_name is None:
        return None
    ctx = info.context
    if type_name == "ProfileAttribute":
        attr = (await ctx.catalogue()).get(raw)
        return ProfileAttribute.of(attr) if attr else None
    view = _VIEWS.get(type_name)
    if view is None:
        return None
    loader, build = view
    record = await getattr(ctx.loaders, loader).load(raw)
    return build(record, ctx) if record is not None else None
