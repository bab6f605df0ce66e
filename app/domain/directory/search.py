"""Directory search: predicates over live users and groups, read as offset pages (SCIM
``startIndex``) or keyset pages (SCIM cursors), with the same fields, compiler and order.

Semantics, the same on both engines:

- a comparison on an absent value is false, except ``ne``, which is true (RFC 7644
  §3.4.2.2); ``eq None`` means "absent" and ``ne None`` "present";
- ``Not`` is two-valued: ``Not(Compare(...))`` matches exactly the rows the comparison does not;
- on multi-valued fields (``groupId``, ``memberId``, string-array attributes) a comparison
  matches when any value matches, and ``ne`` when no value equals;
- ``case_exact=False`` compares lower-cased text; timestamps compare as instants; numbers
  numerically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict, Unpack

from app.db import Row, Tx
from app.domain.directory import store
from app.domain.directory.compiler import compile_predicate, order_by
from app.domain.directory.cursor import Position
from app.domain.directory.fields import GROUP_FIELDS, Fields, cached_user_fields
from app.domain.directory.pager import (
    KeysetRead,
    Seek,
    SeekPage,
    Window,
    key_order,
    read_keyset,
)
from app.domain.directory.predicates import TRUE, And, Compare, Predicate
from app.domain.groups.store import GROUP_COLUMNS, row_to_group
from app.domain.settings.catalogue import Catalogue, get_catalogue
from app.domain.types import GroupRecord, UserRecord
from app.domain.users.store import USER_COLUMNS, group_pairs, row_to_user, user_group_pairs
from app.errors import InvalidValue

USER_SORTS = ("id", "loginId", "externalId", "createdAt", "updatedAt", "profile.<attribute>")
GROUP_SORTS = ("id", "displayName", "externalId", "createdAt", "updatedAt")
LIVE = "users.deleted_at IS NULL"

# Fields whose equality matches at most one row (a unique index: live users' loginId is
# unique case-insensitively, group displayNames are). Such a page is left unordered: with
# ORDER BY id the plan hinged on statistics, and PostgreSQL, before its first ANALYZE of users,
# walked the id index through the whole directory to find one userName (1.1 ms at 2,000 users,
# growing with the directory) instead of probing the unique index (0.07 ms).
_UNIQUE_USER_FIELDS = frozenset({"id", "loginId"})
_UNIQUE_GROUP_FIELDS = frozenset({"id", "displayName"})


def _check_page(offset: int, limit: int) -> None:
    if offset < 0:
        raise InvalidValue("offset must not be negative", fields=["offset"])
    if limit < 0:
        raise InvalidValue("limit must not be negative", fields=["limit"])


def _at_most_one(where: Predicate, unique: frozenset[str]) -> bool:
    """True when ``where`` pins a unique field by equality (alone or in a conjunction)."""
    if isinstance(where, Compare):
        return where.op == "eq" and where.field in unique and where.value is not None
    if isinstance(where, And):
        return any(_at_most_one(item, unique) for item in where.items)
    return False


GroupPairs = list[tuple[str, str]]


@dataclass(slots=True)
class _OffsetSearch:
    """One offset page of rows matching ``where``, ordered by ``sort`` then id."""

    where: Predicate
    sort: str | None = None
    descending: bool = False
    offset: int = 0
    limit: int = 100
    with_total: bool = True

    async def _read(
        self,
        tx: Tx,
        fields: Fields,
        source: tuple[str, str],
        unique: frozenset[str],
        live: str | None,
    ) -> tuple[int | None, list[Row]]:
        """The page from ``source`` (table, columns) where ``live`` (if any) holds; a page
        that pins a ``unique`` field is left unordered."""
        sql, params = compile_predicate(self.where, fields)
        if live is not None:
            sql = f"{live} AND {sql}"
        order = order_by(fields, self.sort, self.descending, source[0])
        if _at_most_one(self.where, unique):
            order = ""
        return await store.select_offset(
            tx,
            source,
            (sql, params),
            order=order,
            offset=self.offset,
            limit=self.limit,
            with_total=self.with_total,
        )


@dataclass(slots=True)
class UserSearch(_OffsetSearch):
    """One offset page of live users: what `search_users` takes, for callers that want more
    per row."""

    catalogue: Catalogue | None = None

    async def with_groups(
        self, tx: Tx, wanted: bool = True
    ) -> tuple[int | None, list[tuple[UserRecord, GroupPairs | None]]]:
        """Each user with the (id, displayName) of its groups in group id order, read in the
        same statement (a SCIM page renders them; one statement fewer per page). Unless
        ``wanted``, the pairs are None and not read."""
        if not wanted:
            total, rows = await self.rows(tx, USER_COLUMNS)
            return total, [(row_to_user(r), None) for r in rows]
        total, rows = await self.rows(tx, f"{USER_COLUMNS}, {user_group_pairs(tx.dialect)}")
        return total, [(row_to_user(r), group_pairs(r)) for r in rows]

    async def rows(self, tx: Tx, columns: str) -> tuple[int | None, list[Row]]:
        """(total or None, the page's rows with ``columns``); raises InvalidValue."""
        _check_page(self.offset, self.limit)
        if self.where == TRUE and self.sort is None and not self.descending:
            return await store.whole_directory_page(
                tx, self.offset, self.limit, self.with_total, columns
            )
        fields = cached_user_fields(tx, self.catalogue or await get_catalogue(tx))
        return await self._read(tx, fields, ("users", columns), _UNIQUE_USER_FIELDS, LIVE)


class PageArgs(TypedDict, total=False):
    """How `search_users` and `search_groups` order and cut a page (the fields of
    `_OffsetSearch`; absent ones keep its defaults)."""

    sort: str | None
    descending: bool
    offset: int
    limit: int
    with_total: bool


async def search_users(
    tx: Tx, *, where: Predicate, catalogue: Catalogue | None = None, **page: Unpack[PageArgs]
) -> tuple[int | None, list[UserRecord]]:
    """Live users matching ``where``: (total or None, one page ordered by ``sort`` then id).

    ``limit=0`` counts only; ``offset`` is 0-based; pass the request's ``catalogue`` when it is
    already loaded. Raises InvalidValue for an unknown field or sort, an operator the field's
    type does not support, or a value of the wrong type.
    """
    total, rows = await UserSearch(where, catalogue=catalogue, **page).rows(tx, USER_COLUMNS)
    return total, [row_to_user(r) for r in rows]


async def search_groups(
    tx: Tx, *, where: Predicate, **page: Unpack[PageArgs]
) -> tuple[int | None, list[GroupRecord]]:
    """Groups matching ``where``: (total or None, one page ordered by ``sort`` then id).

    ``limit=0`` counts only; ``offset`` is 0-based. Raises InvalidValue as `search_users`.
    """
    found = _OffsetSearch(where, **page)
    _check_page(found.offset, found.limit)
    source = ("groups", GROUP_COLUMNS)
    total, rows = await found._read(tx, GROUP_FIELDS, source, _UNIQUE_GROUP_FIELDS, None)
    return total, [row_to_group(r) for r in rows]


class SeekArgs(TypedDict, total=False):
    """How `seek_users` and `seek_groups` order a page and where it starts (absent: by id,
    ascending, the first page)."""

    sort: str | None
    descending: bool
    seek: Seek | None


async def seek_users(
    tx: Tx, *, where: Predicate, catalogue: Catalogue | None = None, **args: Unpack[SeekArgs]
) -> SeekPage[UserRecord]:
    """One keyset page of live users matching ``where``, ordered by ``sort`` then id.

    Raises InvalidValue for an unknown field or sort, a bad comparison (as `search_users`), or
    a ``seek.start`` whose key does not fit the sort.
    """
    fields = cached_user_fields(tx, catalogue or await get_catalogue(tx))
    rows, positions, more = await _seek(tx, fields, ("users", USER_COLUMNS), where, args, live=LIVE)
    return SeekPage([row_to_user(r) for r in rows], positions, more)


async def seek_groups(
    tx: Tx, *, where: Predicate, **args: Unpack[SeekArgs]
) -> SeekPage[GroupRecord]:
    """One keyset page of groups matching ``where``; raises InvalidValue as `seek_users`."""
    source = ("groups", GROUP_COLUMNS)
    rows, positions, more = await _seek(tx, GROUP_FIELDS, source, where, args, live=None)
    return SeekPage([row_to_group(r) for r in rows], positions, more)


async def _seek(
    tx: Tx,
    fields: Fields,
    source: tuple[str, str],
    where: Predicate,
    args: SeekArgs,
    *,
    live: str | None,
) -> tuple[list[Row], list[Position], bool]:
    """One keyset page of ``source`` (table, columns) where ``live`` (if any) holds."""
    order = key_order(fields, args.get("sort"), args.get("descending", False), source[0])
    sql, params = compile_predicate(where, fields)
    if live is not None:
        sql = f"{live} AND {sql}"
    seek = args.get("seek") or Seek()
    window = Window(seek.start, seek.backward, seek.limit)
    return await read_keyset(tx, KeysetRead(source, (sql, params), order), window)
