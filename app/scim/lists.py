"""Queries: GET /Users, /Groups and POST .search (RFC 7644 §3.4.2, §3.4.3; RFC 9865).

Filters compile to SQL (`app.scim.filters` → `app.domain.directory`); pages are 1-based
``startIndex``/``count`` over a stable order (the sort key, then id); ``count=0`` returns only
``totalResults``. Sort errors answer 400 invalidValue, filter errors 400 invalidFilter.
A ``cursor`` parameter selects cursor pagination instead (`app.scim.cursor_pages`; /Users and
/Groups only: POST /.search pages two resource types as one list, by index).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from app.domain.clock import now_iso
from app.domain.directory import (
    FALSE,
    Predicate,
    UserSearch,
    search_groups,
)
from app.domain.provisioning.health import is_connection_probe
from app.errors import InvalidValue
from app.scim.body import parse_json, read_body
from app.scim.cursor_pages import group_cursor_page, user_cursor_page
from app.scim.errors import ScimError, invalid_value
from app.scim.filters import parse_group_filter, parse_user_filter
from app.scim.params import USER_EXTENSIONS
from app.scim.pipeline import Call, Session, read
from app.scim.queries import (
    ListQuery,
    list_body,
    list_query,
    render_groups,
    render_users,
    sort_field,
    where,
)
from app.scim.wire import SEARCH_URN, scim_json

__all__ = ["list_body", "list_groups", "list_users", "search_all"]


async def user_page(s: Session, call: Call, q: ListQuery, where: Predicate) -> Any:
    """(total, rendered resources) of one page of users (with their groups, when returned,
    read in the same statement)."""
    try:
        search = UserSearch(
            where=where,
            sort=sort_field(s, q, "User"),
            descending=q.descending,
            offset=q.start - 1,
            limit=q.count,
            catalogue=s.catalogue,
        )
        total, users = await search.with_groups(s.tx, q.projection(USER_EXTENSIONS).wants("groups"))
    except InvalidValue as exc:
        raise ScimError(400, exc.message, "invalidFilter") from None
    return total or 0, await render_users(s, call, q, users)


async def group_page(
    s: Session, call: Call, q: ListQuery, where: Predicate, *, offset: int, limit: int
) -> Any:
    """(total, rendered resources) of one page of groups."""
    try:
        total, groups = await search_groups(
            s.tx,
            where=where,
            sort=sort_field(s, q, "Group"),
            descending=q.descending,
            offset=offset,
            limit=limit,
        )
    except InvalidValue as exc:
        raise ScimError(400, exc.message, "invalidFilter") from None
    return total or 0, await render_groups(s, call, q, groups)


async def _source(call: Call, raw: bytes | None) -> Mapping[str, Any]:
    if raw is None:
        params: Mapping[str, Any] = call.params
        return params
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise ScimError(400, "the request body must be a SearchRequest object", "invalidSyntax")
    schemas = body.get("schemas")
    if schemas is not None and SEARCH_URN not in (schemas if isinstance(schemas, list) else []):
        raise invalid_value(f"schemas must be [{SEARCH_URN!r}]")
    found: Mapping[str, Any] = body
    return found


async def list_users(call: Call) -> Response:
    """GET /Users and POST /Users/.search."""
    raw = await read_body(call) if call.request.method == "POST" else None

    async def work(s: Session) -> Response:
        q = list_query(await _source(call, raw), call.settings)
        found = where(q, lambda text: parse_user_filter(text, s.catalogue))
        if q.cursor is not None:
            return scim_json(await user_cursor_page(s, call, q, found))
        total, resources = await user_page(s, call, q, found)
        if is_connection_probe(q.filter, total):
            call.usage.note_probe(s.principal.token_id, now_iso())
        return scim_json(list_body(total, q.start, resources))

    # A filtered page is one statement (its total counted in it); an unfiltered one also
    # reads the directory's counter. (The raw query: parsing it here would answer a bad one
    # before the token check.)
    return await read(call, work, single=b"filter=" in call.request.scope["query_string"])


async def list_groups(call: Call) -> Response:
    """GET /Groups and POST /Groups/.search."""
    raw = await read_body(call) if call.request.method == "POST" else None

    async def work(s: Session) -> Response:
        q = list_query(await _source(call, raw), call.settings)
        found = where(q, parse_group_filter)
        if q.cursor is not None:
            return scim_json(await group_cursor_page(s, call, q, found))
        total, resources = await group_page(s, call, q, found, offset=q.start - 1, limit=q.count)
        return scim_json(list_body(total, q.start, resources))

    return await read(call, work)


def _either(q: ListQuery, parse: Any) -> Predicate | ScimError:
    try:
        return where(q, parse)
    except ScimError as exc:
        return exc


async def search_all(call: Call) -> Response:
    """POST /.search: users, then groups, paged as one list (RFC 7644 §3.4.3).

    A filter that only one resource type understands selects nothing of the other.
    """
    raw = await read_body(call)

    async def work(s: Session) -> Response:
        q = list_query(await _source(call, raw), call.settings)
        if q.cursor is not None:
            raise invalid_value(
                "POST /.search pages by startIndex: cursors apply per resource type"
            )
        on_users = _either(q, lambda text: parse_user_filter(text, s.catalogue))
        on_groups = _either(q, parse_group_filter)
        if isinstance(on_users, ScimError) and isinstance(on_groups, ScimError):
            raise on_users
        users_where = FALSE if isinstance(on_users, ScimError) else on_users
        groups_where = FALSE if isinstance(on_groups, ScimError) else on_groups
        users_total, users = await user_page(s, call, q, users_where)
        room = q.count - len(users)
        offset = max(0, q.start - 1 - users_total)
        groups_total, groups = await group_page(s, call, q, groups_where, offset=offset, limit=room)
        return scim_json(list_body(users_total + groups_total, q.start, users + groups))

    return await read(call, work)
