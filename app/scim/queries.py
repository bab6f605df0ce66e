"""The parameters of a SCIM query and the rendering of its page (RFC 7644 §3.4.2, §3.4.3;
RFC 9865 §2 for ``cursor``), shared by index pages (`app.scim.lists`) and cursor pages
(`app.scim.cursor_pages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.directory import TRUE, GroupPairs, Predicate
from app.domain.groups.lookups import groups_of_users
from app.domain.types import GroupRecord, UserRecord
from app.scim.errors import ScimError, invalid_value
from app.scim.filters import FilterError, parse_sort
from app.scim.group_render import render_group
from app.scim.params import USER_EXTENSIONS
from app.scim.pipeline import Call, Session
from app.scim.projection import EVERYTHING, Projection, projection
from app.scim.wire import LIST_URN
from app.settings import Settings

# OFFSET is a signed 64-bit integer on both engines: a larger startIndex would fail in the driver.
MAX_INDEX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The parameters of one query, from the query string or a SearchRequest body.

    ``cursor`` is None for index pagination, "" for the first cursor page (RFC 9865 §2).
    """

    filter: str | None
    start: int
    count: int
    sort_by: str | None
    descending: bool
    attributes: Any
    excluded: Any
    cursor: str | None = None

    def projection(self, urns: tuple[str, ...]) -> Projection:
        """The attributes to return."""
        if self.attributes is None and self.excluded is None:
            return EVERYTHING
        return projection(self.attributes, self.excluded, urns)


def _integer(source: Mapping[str, Any], name: str, default: int) -> int:
    raw = source.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        raise invalid_value(f"{name} must be an integer")
    try:
        value = int(raw)
    except (TypeError, ValueError, OverflowError):
        raise invalid_value(f"{name} must be an integer, not {raw!r}") from None
    if abs(value) > MAX_INDEX:
        raise invalid_value(f"{name} must be between -{MAX_INDEX} and {MAX_INDEX}")
    return value


def _cursor(source: Mapping[str, Any]) -> str | None:
    cursor = source.get("cursor")
    if cursor is None:
        return None
    if not isinstance(cursor, str):
        raise ScimError(400, "cursor must be a string", "invalidCursor")
    if source.get("startIndex") is not None:
        # RFC 9865 §2: a query paginates by index or by cursor, never both.
        raise invalid_value("use either startIndex or cursor, not both")
    return cursor


def list_query(source: Mapping[str, Any], settings: Settings) -> ListQuery:
    """Clamp startIndex (< 1 means 1) and count (0 to the announced maximum)."""
    text = source.get("filter")
    if text is not None and not isinstance(text, str):
        raise ScimError(400, "filter must be a string", "invalidFilter")
    if text is not None and len(text) > settings.scim_max_filter_length:
        limit = settings.scim_max_filter_length
        raise ScimError(400, f"filter is longer than {limit} characters", "invalidFilter")
    order = str(source.get("sortOrder") or "ascending").lower()
    if order not in ("ascending", "descending"):
        raise invalid_value(f"sortOrder must be ascending or descending, not {order!r}")
    count = _integer(source, "count", settings.scim_default_page_size)
    cursor = _cursor(source)
    return ListQuery(
        text.strip() or None if text else None,
        max(1, _integer(source, "startIndex", 1)),
        min(max(0, count), settings.scim_max_page_size),
        source.get("sortBy") or None,
        order == "descending",
        source.get("attributes"),
        source.get("excludedAttributes"),
        cursor,
    )


def where(q: ListQuery, parse: Any) -> Predicate:
    """The query's filter as a predicate; raises 400 invalidFilter."""
    if q.filter is None:
        return TRUE
    try:
        result: Predicate = parse(q.filter)
    except FilterError as exc:
        raise ScimError(400, str(exc.detail), "invalidFilter") from None
    return result


def sort_field(s: Session, q: ListQuery, resource: str) -> str | None:
    """The domain field sortBy names; raises 400 invalidValue."""
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


async def render_users(
    s: Session, call: Call, q: ListQuery, users: list[tuple[UserRecord, GroupPairs | None]]
) -> list[dict[str, Any]]:
    """The projected resources of a page of users; the groups of users that come without
    them are read in one query, when returned."""
    proj = q.projection(USER_EXTENSIONS)
    missing = [u.id for u, pairs in users if pairs is None]
    if missing and proj.wants("groups"):
        found = await groups_of_users(s.tx, missing)
        read = {uid: [(g.id, g.display_name) for g in groups] for uid, groups in found.items()}
        users = [(u, read[u.id] if pairs is None else pairs) for u, pairs in users]
    return [proj.apply(s.mapping.render(u, call.base, pairs)) for u, pairs in users]


async def render_groups(
    s: Session, call: Call, q: ListQuery, groups: list[GroupRecord]
) -> list[dict[str, Any]]:
    """The projected resources of a page of groups."""
    proj = q.projection(())
    return [await render_group(s.tx, g, call.base, proj) for g in groups]
