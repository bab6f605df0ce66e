"""Cursor pages of /Users and /Groups (RFC 9865): ``cursor`` (empty for the first page) and
``count``; the ListResponse carries ``nextCursor`` unless the page is the last one, and
``previousCursor`` unless it is the first. Pages are keyset reads
(`app.domain.directory.pager`), so a
page deep in the directory costs what the first one does, and users created or deleted between
pages never make the walk skip or repeat a row. ``totalResults`` counts the whole result, as
with index pages; ``startIndex`` has no meaning here and is left out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app.domain.directory import (
    Position,
    Predicate,
    Seek,
    SeekPage,
    search_groups,
    search_users,
    seek_groups,
    seek_users,
)
from app.errors import InvalidValue
from app.scim.cursors import CursorState, invalid_cursor, issue_cursor, query_scope, read_cursor
from app.scim.errors import ScimError
from app.scim.pipeline import Call, Session
from app.scim.queries import ListQuery, render_groups, render_users, sort_field
from app.scim.wire import LIST_URN


def _seek(call: Call, q: ListQuery, scope: str) -> Seek:
    if not q.cursor:
        return Seek(limit=q.count)
    state = read_cursor(call.settings, scope, q.cursor)
    return Seek(state.position, state.backward, q.count)


def _body(
    call: Call, scope: str, seek: Seek, page: SeekPage[Any], *, total: int, resources: list[Any]
) -> dict[str, Any]:
    """The ListResponse, with the cursors of the pages around this one."""
    body: dict[str, Any] = {"schemas": [LIST_URN], "totalResults": total}
    body["itemsPerPage"] = len(resources)

    def cursor(backward: bool, at: Position) -> str:
        return issue_cursor(call.settings, scope, CursorState(backward, at))

    if page.positions:
        later = page.more if not seek.backward else True
        earlier = page.more if seek.backward else seek.start is not None
        if later:
            body["nextCursor"] = cursor(False, page.positions[-1])
        if earlier:
            body["previousCursor"] = cursor(True, page.positions[0])
    body["Resources"] = resources
    return body


async def _run(
    read: Callable[[], Awaitable[tuple[int | None, SeekPage[Any]]]],
) -> tuple[int, SeekPage[Any]]:
    try:
        total, page = await read()
    except InvalidValue as exc:
        if "cursor" in exc.fields:
            raise invalid_cursor("the cursor does not fit this query") from None
        raise ScimError(400, exc.message, "invalidFilter") from None
    return total or 0, page


async def user_cursor_page(s: Session, call: Call, q: ListQuery, where: Predicate) -> Any:
    """One cursor page of users, as a ListResponse body."""
    sort = sort_field(s, q, "User")
    scope = query_scope("User", q.filter, q.sort_by, q.descending)
    seek = _seek(call, q, scope)

    async def read() -> tuple[int | None, SeekPage[Any]]:
        total, _ = await search_users(s.tx, where=where, limit=0, catalogue=s.catalogue)
        page = await seek_users(
            s.tx, where=where, sort=sort, descending=q.descending, seek=seek, catalogue=s.catalogue
        )
        return total, page

    total, page = await _run(read)
    resources = await render_users(s, call, q, [(u, None) for u in page.items])
    return _body(call, scope, seek, page, total=total, resources=resources)


async def group_cursor_page(s: Session, call: Call, q: ListQuery, where: Predicate) -> Any:
    """One cursor page of groups, as a ListResponse body."""
    sort = sort_field(s, q, "Group")
    scope = query_scope("Group", q.filter, q.sort_by, q.descending)
    seek = _seek(call, q, scope)

    async def read() -> tuple[int | None, SeekPage[Any]]:
        total, _ = await search_groups(s.tx, where=where, limit=0)
        page = await seek_groups(s.tx, where=where, sort=sort, descending=q.descending, seek=seek)
        return total, page

    total, page = await _run(read)
    resources = await render_groups(s, call, q, page.items)
    return _body(call, scope, seek, page, total=total, resources=resources)
