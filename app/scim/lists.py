"""Queries: GET /Users, /Groups and POST .search (RFC 7644 §3.4.2, §3.4.3).

Filters compile to SQL (`app.scim.filters` → `app.domain.query`); pages are 1-based
``startIndex``/``count`` over a stable order (the sort key, then id); ``count=0`` returns only
``totalResults``. Sort errors answer 400 invalidValue, filter errors 400 invalidFilter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from app.domain.lookups import groups_of_users
from app.domain.query import FALSE, TRUE, Predicate, search_groups, search_users
from app.errors import InvalidValue
from app.scim.errors import ScimError, invalid_value
from app.scim.filters import FilterError, parse_group_filter, parse_sort, parse_user_filter
from app.scim.groups import render_group
from app.scim.params import USER_EXTENSIONS
from app.scim.pipeline import Call, Session, parse_json, read, read_body
from app.scim.projection import Projection, projection
from app.scim.wire import LIST_URN, SEARCH_URN, scim_json
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The parameters of one query, from the query string or a SearchRequest body."""

    filter: str | None
    start: int
    count: int
    sort_by: str | None
    descending: bool
    attributes: Any
    excluded: Any

    def projection(self, urns: tuple[str, ...]) -> Projection:
        """The attributes to return."""
        return projection(self.attributes, self.excluded, urns)


def _integer(source: Mapping[str, Any], name: str, default: int) -> int:
    raw = source.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        raise invalid_value(f"{name} must be an integer")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise invalid_value(f"{name} must be an integer, not {raw!r}") from None


def list_query(source: Mapping[str, Any], settings: Settings) -> ListQuery:
    """Clamp startIndex (< 1 means 1) and count (0 to the announced maximum)."""
    text = source.get("filter")
    if text is not None and not isinstance(text, str):
        raise ScimError(400, "filter must be a string", "invalidFilter")
    if text is not None and len(text) > settings.scim_max_filter_length:
        raise ScimError(400, "filter is too long", "invalidFilter")
    order = str(source.get("sortOrder") or "ascending").lower()
    if order not in ("ascending", "descending"):
        raise invalid_value(f"sortOrder must be ascending or descending, not {order!r}")
    count = _integer(source, "count", settings.scim_default_page_size)
    return ListQuery(
        text.strip() or None if text else None,
        max(1, _integer(source, "startIndex", 1)),
        min(max(0, count), settings.scim_max_page_size),
        source.get("sortBy") or None,
        order == "descending",
        source.get("attributes"),
        source.get("excludedAttributes"),
    )


def _where(q: ListQuery, parse: Any) -> Predicate:
    if q.filter is None:
        return TRUE
    try:
        result: Predicate = parse(q.filter)
    except FilterError as exc:
        raise ScimError(400, str(exc.detail), "invalidFilter") from None
    return result


def _sort(s: Session, q: ListQuery, resource: str) -> str | None:
    if q.sort_by is None:
        return None
    try:
        return parse_sort(str(q.sort_by), s.catalogue, resource)
    except FilterError as exc:
        raise invalid_value(f"sortBy: {exc.detail}") from None


def list_body(total: int, start: int, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A ListResponse; the three numbers are JSON integers."""
    return {
        "schemas": [LIST_URN],
        "totalResults": total,
        "itemsPerPage": len(resources),
        "startIndex": start,
        "Resources": resources,
    }


async def user_page(s: Session, call: Call, q: ListQuery, where: Predicate) -> Any:
    """(total, rendered resources) of one page of users."""
    proj = q.projection(USER_EXTENSIONS)
    try:
        total, users = await search_users(
            s.tx,
            where=where,
            sort=_sort(s, q, "User"),
            descending=q.descending,
            offset=q.start - 1,
            limit=q.count,
            catalogue=s.catalogue,
        )
    except InvalidValue as exc:
        raise ScimError(400, exc.message, "invalidFilter") from None
    groups = {}
    if users and proj.wants("groups"):
        groups = await groups_of_users(s.tx, [u.id for u in users])
    rendered = [
        proj.apply(
            s.mapping.render(u, call.base, [(g.id, g.display_name) for g in groups.get(u.id, [])])
        )
        for u in users
    ]
    return total or 0, rendered


async def group_page(
    s: Session, call: Call, q: ListQuery, where: Predicate, *, offset: int, limit: int
) -> Any:
    """(total, rendered resources) of one page of groups."""
    proj = q.projection(())
    try:
        total, groups = await search_groups(
            s.tx,
            where=where,
            sort=_sort(s, q, "Group"),
            descending=q.descending,
            offset=offset,
            limit=limit,
        )
    except InvalidValue as exc:
        raise ScimError(400, exc.message, "invalidFilter") from None
    return total or 0, [await render_group(s.tx, g, call.base, proj) for g in groups]


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
        where = _where(q, lambda text: parse_user_filter(text, s.catalogue))
        total, resources = await user_page(s, call, q, where)
        return scim_json(list_body(total, q.start, resources))

    return await read(call, work)


async def list_groups(call: Call) -> Response:
    """GET /Groups and POST /Groups/.search."""
    raw = await read_body(call) if call.request.method == "POST" else None

    async def work(s: Session) -> Response:
        q = list_query(await _source(call, raw), call.settings)
        where = _where(q, parse_group_filter)
        total, resources = await group_page(s, call, q, where, offset=q.start - 1, limit=q.count)
        return scim_json(list_body(total, q.start, resources))

    return await read(call, work)


def _either(q: ListQuery, parse: Any) -> Predicate | ScimError:
    try:
        return _where(q, parse)
    except ScimError as exc:
        return exc


async def search_all(call: Call) -> Response:
    """POST /.search: users, then groups, paged as one list (RFC 7644 §3.4.3).

    A filter that only one resource type understands selects nothing of the other.
    """
    raw = await read_body(call)

    async def work(s: Session) -> Response:
        q = list_query(await _source(call, raw), call.settings)
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
